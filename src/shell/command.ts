import type { ScriptEnv } from './types.js';

/**
 * Argv-level handling shared by exec-form containers and commands inside scripts: recognising
 * `sh -c SCRIPT`, looking through wrappers such as `env` and `busybox`, and Kubernetes' own
 * `$(VAR)` substitution in `command`/`args`.
 */

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'ksh', 'mksh', 'zsh']);

export function basename(path: string): string {
  const at = path.lastIndexOf('/');
  return at === -1 ? path : path.slice(at + 1);
}

export function isShell(name: string | null): boolean {
  return name !== null && SHELLS.has(basename(name));
}

/**
 * For `sh [opts] -c SCRIPT [$0 [$1...]]`, the index of SCRIPT in argv; -1 when the shell does not
 * get its script from `-c` (a script file or stdin, which we cannot see); null when argv[0] is
 * not a shell.
 */
export function shellScriptIndex<T>(argv: T[], text: (t: T) => string | null): number | null {
  const first = argv[0];
  if (first === undefined || !isShell(text(first))) return null;
  let hasC = false;
  let i = 1;
  for (; i < argv.length; i++) {
    const a = text(argv[i]!);
    if (a === null) break;
    if (a === '--' || a === '-') {
      i++;
      break;
    }
    if (!(a.startsWith('-') || a.startsWith('+')) || a.length < 2) break;
    if (a === '-o' || a === '+o' || a === '--rcfile' || a === '--init-file') {
      i++;
      continue;
    }
    if (a.startsWith('--')) continue;
    if (a.slice(1).includes('c')) hasC = true;
  }
  if (!hasC) return -1;
  return i < argv.length ? i : -1;
}

// Commands that run their arguments as another command line.
const PASS_THROUGH = new Set(['exec', 'command', 'nohup', 'sudo', 'busybox', 'doas']);

/** Strips `env A=1`, `busybox`, `exec`, ... so the real command is argv[0]. */
export function stripWrappers<T>(argv: T[], text: (t: T) => string | null): T[] {
  let rest = argv;
  for (let guard = 0; guard < 8 && rest.length > 0; guard++) {
    const name = text(rest[0]!);
    if (name === null) return rest;
    const base = basename(name);
    if (base === 'env') {
      let i = 1;
      while (i < rest.length) {
        const a = text(rest[i]!);
        if (a === null || !(a.startsWith('-') || a.includes('='))) break;
        i++;
      }
      rest = rest.slice(i);
    } else if (PASS_THROUGH.has(base)) {
      let i = 1;
      // Option flags of the wrapper itself (`command -p`, `exec -a name` is rare enough to ignore).
      while (i < rest.length && (text(rest[i]!) ?? '').startsWith('-')) i++;
      rest = rest.slice(i);
    } else {
      return rest;
    }
  }
  return rest;
}

/**
 * Kubernetes expands `$(VAR)` in command and args from the container env before the process
 * starts; `$$` escapes a `$`. Only literal env values are substituted: fieldRef values are not
 * known at admission, and an untouched `$(VAR)` later reads as an (unknown) command substitution.
 */
export function expandKubeVars(s: string, env: ScriptEnv | undefined): string {
  let out = '';
  // Text before `copied` is in `out`. Untouched text is copied in slices, and a script with
  // nothing to substitute comes back as the very same string (no rope for V8 to flatten).
  let copied = 0;
  for (let at = s.indexOf('$'); at !== -1; ) {
    const next = s[at + 1];
    let replacement: string | undefined;
    let end = at + 1;
    if (next === '$') {
      replacement = '$';
      end = at + 2;
    } else if (next === '(') {
      const close = s.indexOf(')', at + 2);
      const name = close === -1 ? '' : s.slice(at + 2, close);
      const value = env?.[name]?.value;
      if (close !== -1 && isEnvName(name) && value !== undefined && env?.[name]?.fieldRef === undefined) {
        replacement = value;
        end = close + 1;
      }
    }
    if (replacement !== undefined) {
      out += s.slice(copied, at) + replacement;
      copied = end;
    }
    at = s.indexOf('$', end);
  }
  return copied === 0 ? s : out + s.slice(copied);
}

function isEnvName(name: string): boolean {
  if (name === '') return false;
  for (const ch of name) {
    if (
      !(
        ch === '_' ||
        ch === '-' ||
        ch === '.' ||
        (ch >= '0' && ch <= '9') ||
        (ch >= 'a' && ch <= 'z') ||
        (ch >= 'A' && ch <= 'Z')
      )
    ) {
      return false;
    }
  }
  return true;
}

// nsenter options that take a separate value.
const NSENTER_VALUE_OPTS = new Set(['-t', '--target', '-S', '--setuid', '-G', '--setgid']);

/**
 * `nsenter -t 1 -n CMD` runs CMD in another process's network namespace (normally the node's),
 * so a netns guard around it protects nothing. Returns CMD, whether the netns changes, and
 * where the new one comes from: the target process (`-n`, `--net`, `-a`) or a namespace file
 * (`--net=FILE`). Whose namespace that is depends on the pod (hostPID, host mounts), which
 * the caller judges.
 */
export function nsenterCommand<T>(
  argv: T[],
  text: (t: T) => string | null,
): { argv: T[]; net: boolean; netFrom?: 'target' | 'file' } | null {
  const first = argv[0];
  if (first === undefined || basename(text(first) ?? '') !== 'nsenter') return null;
  let netFrom: 'target' | 'file' | undefined;
  let i = 1;
  for (; i < argv.length; i++) {
    const a = text(argv[i]!);
    if (a === null) break;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (NSENTER_VALUE_OPTS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('--')) {
      if (a.startsWith('--net=')) netFrom = 'file';
      else if (a === '--net' || a === '--all') netFrom ??= 'target';
      continue;
    }
    // Short clusters such as `-mnt1`: letters up to a value-taking one.
    for (const c of a.slice(1)) {
      if (c === 'n' || c === 'a') netFrom ??= 'target';
      if (c === 't' || c === 'S' || c === 'G') break;
    }
  }
  const out: { argv: T[]; net: boolean; netFrom?: 'target' | 'file' } = {
    argv: argv.slice(i),
    net: netFrom !== undefined,
  };
  if (netFrom) out.netFrom = netFrom;
  return out;
}
