import { sysctlActions } from '../sysctl-cmd.js';
import { DEFAULT_CONF, parseSysctlConf, systemLoadOrder } from '../sysctl-conf.js';
import { lit, reasonOf, textOf, unknownValue, type Value } from '../value.js';
import type { Builtin, BuiltinHost } from './host.js';

/**
 * `sysctl k=v` writes directly; `sysctl -p FILE` and `sysctl --system` write what the files
 * hold, so a file the script wrote earlier (or a mounted one) is read back here.
 */
export const sysctl: Builtin = {
  run: ({ args, line }, host) => {
    for (const action of sysctlActions(args)) {
      if (action.kind === 'set') host.emit(action.key, action.value, 'sysctl', line);
      else if (action.kind === 'system') for (const p of systemLoadOrder(host.filePaths())) load(host, p);
      else loadFile(host, action.file, line);
    }
    return null;
  },
};

function loadFile(host: BuiltinHost, file: Value, line: number): void {
  const path = textOf(file);
  if (path === null) {
    // Which file is loaded is unknown, so any setting may change: never silently clean.
    host.emit(
      lit('*'),
      unknownValue(`sysctl -p of an unresolvable file: ${reasonOf(file)}`),
      'sysctl.d',
      line,
    );
  } else if (path.includes('*')) {
    for (const p of host.filePaths()) if (globMatch(path, p)) load(host, p);
  } else if (host.readFile(path) !== undefined) {
    load(host, path);
  } else if (path !== DEFAULT_CONF) {
    host.emit(
      lit('*'),
      unknownValue(`sysctl -p ${path}: file contents are not in the script`),
      'sysctl.d',
      line,
    );
  }
}

/** Each entry keeps its own line in the file (or in the heredoc that wrote it). */
function load(host: BuiltinHost, path: string): void {
  for (const e of parseSysctlConf(host.readFile(path) ?? [])) host.emit(e.key, e.value, 'sysctl.d', e.line);
}

// Only `*` is supported: `sysctl -p /etc/sysctl.d/*.conf`.
function globMatch(pattern: string, path: string): boolean {
  const parts = pattern.split('*');
  if (!path.startsWith(parts[0]!)) return false;
  let at = parts[0]!.length;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    const found =
      i === parts.length - 1
        ? path.endsWith(p) && path.length - p.length >= at
          ? path.length - p.length
          : -1
        : path.indexOf(p, at);
    if (found === -1 || path.slice(at, found).includes('/')) return false;
    at = found + p.length;
  }
  return at === path.length;
}
