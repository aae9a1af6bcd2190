import { knownPrefix, render, splitAll, splitFirst, textOf, trim, type Value } from './value.js';

/**
 * sysctl.conf / sysctl.d handling: which paths `sysctl --system` reads, and what `key = value`
 * lines a file written by the script contains.
 */

export const DEFAULT_CONF = '/etc/sysctl.conf';

// procps `--system` order: these directories (by file name), then /etc/sysctl.conf.
const SYSTEM_DIRS = [
  '/etc/sysctl.d/',
  '/run/sysctl.d/',
  '/usr/local/lib/sysctl.d/',
  '/usr/lib/sysctl.d/',
  '/lib/sysctl.d/',
];

/** True for files that `sysctl -p FILE` or `--system` could apply, i.e. worth remembering. */
export function isSysctlConfPath(path: string): boolean {
  return path === DEFAULT_CONF || SYSTEM_DIRS.some((d) => path.startsWith(d) && path.length > d.length);
}

/** Paths `sysctl --system` applies, in order, out of the files the script wrote. */
export function systemLoadOrder(paths: Iterable<string>): string[] {
  const inDirs = [...paths].filter((p) => SYSTEM_DIRS.some((d) => p.startsWith(d)) && p.endsWith('.conf'));
  const byName = new Map<string, string>();
  // A file name in an earlier directory shadows the same name in later ones.
  for (const d of SYSTEM_DIRS) {
    for (const p of inDirs) {
      const name = p.slice(d.length);
      if (p.startsWith(d) && !name.includes('/') && !byName.has(name)) byName.set(name, p);
    }
  }
  const ordered = [...byName.keys()].sort().map((n) => byName.get(n)!);
  if ([...paths].includes(DEFAULT_CONF)) ordered.push(DEFAULT_CONF);
  return ordered;
}

/** Text written into a conf file by one command; heredocs map each content line to its script line. */
export interface ConfChunk {
  content: Value;
  line: number;
  perLine: boolean;
}

export interface ConfEntry {
  key: Value;
  value: Value;
  line: number;
}

export function parseSysctlConf(chunks: readonly ConfChunk[]): ConfEntry[] {
  const entries: ConfEntry[] = [];
  for (const chunk of chunks) {
    splitAll(chunk.content, '\n').forEach((raw, idx) => {
      const line = chunk.perLine ? chunk.line + idx : chunk.line;
      const l = trim(raw);
      if (l.length === 0) return;
      const head = knownPrefix(l);
      if (head.startsWith('#') || head.startsWith(';')) return;
      const kv = splitFirst(l, '=');
      if (!kv) {
        // A line that is entirely `$SETTING` may well be `key=value`; a plain word is not a setting.
        if (textOf(l) === null) entries.push({ key: [{ unknown: 'line' }], value: l, line });
        return;
      }
      let key = trim(kv[0]);
      const first = key[0];
      // A leading '-' only tells procps to ignore failures for this key.
      if (first && 'text' in first && first.text.startsWith('-')) {
        key = [{ text: first.text.slice(1) }, ...key.slice(1)];
      }
      if (render(key) === '') return;
      entries.push({ key, value: trim(kv[1]), line });
    });
  }
  return entries;
}
