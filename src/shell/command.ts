import type { ScriptEnv } from './types.js';

/**
 * Argv-level handling shared by exec-form containers and commands inside scripts: recognising
 * `sh -c SCRIPT`, looking through wrappers such as `env` and `busybox`, and Kubernetes' own
 * `$(VAR)` substitution in `command`/`args`.
 */

export const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash', 'ksh', 'mksh', 'zsh']);

export function basename(path: string): string {
  const at = path.lastIndexOf('/');
  return at === -1 ? path : path.slice(at + 1);
}

export function isShell(name: string | null): boolean {
  return name !== null && SHELLS.has(basename(name));
}

/** Where a shell takes its script from: `-c SCRIPT`, a script file, or stdin (`sh -s`, `sh`). */
export type ShellInput =
  | { from: 'c'; index: number }
  | { from: 'file'; index: number }
  | { from: 'stdin'; positional: number };

/**
 * For `sh [opts] -c SCRIPT [$0 [$1...]]`, `sh [opts] FILE [args]` and `sh [-s] [args]`: where the
 * script comes from and the index of the word that holds it (or where `$1...` start for stdin);
 * null when argv[0] is not a shell.
 */
export function shellInput<T>(argv: T[], text: (t: T) => string | null): ShellInput | null {
  const first = argv[0];
  if (first === undefined || !isShell(text(first))) return null;
  let hasC = false;
  let hasS = false;
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
    if (a.startsWith('-') && a.slice(1).includes('s')) hasS = true;
  }
  if (hasC) return i < argv.length ? { from: 'c', index: i } : { from: 'stdin', positional: argv.length };
  if (hasS || i >= argv.length) return { from: 'stdin', positional: i };
  return { from: 'file', index: i };
}

/**
 * For `sh [opts] -c SCRIPT [$0 [$1...]]`, the index of SCRIPT in argv; -1 when the shell does not
 * get its script from `-c` (a script file or stdin); null when argv[0] is not a shell.
 */
export function shellScriptIndex<T>(argv: T[], text: (t: T) => string | null): number | null {
  const input = shellInput(argv, text);
  if (input === null) return null;
  return input.from === 'c' ? input.index : -1;
}

/**
 * Commands that run the rest of their arguments as another command line in the same network
 * namespace: the options each takes with a separate value, and how many operands come before
 * the command (`timeout DURATION`, `chroot NEWROOT`, `taskset MASK`). `chroot /host sysctl`
 * runs the host's sysctl binary, but in the caller's namespaces, like a plain `sysctl`.
 */
const WRAPPERS: ReadonlyMap<string, { valueOpts: ReadonlySet<string>; operands: number }> = new Map(
  Object.entries({
    exec: { valueOpts: ['-a'], operands: 0 },
    command: { valueOpts: [], operands: 0 },
    nohup: { valueOpts: [], operands: 0 },
    busybox: { valueOpts: [], operands: 0 },
    doas: { valueOpts: ['-u', '-C'], operands: 0 },
    sudo: { valueOpts: ['-u', '-g', '-C', '-h', '-p', '-r', '-t', '-U', '-D', '-R'], operands: 0 },
    timeout: { valueOpts: ['-s', '--signal', '-k', '--kill-after'], operands: 1 },
    nice: { valueOpts: ['-n', '--adjustment'], operands: 0 },
    ionice: { valueOpts: ['-c', '--class', '-n', '--classdata'], operands: 0 },
    stdbuf: { valueOpts: ['-i', '-o', '-e', '--input', '--output', '--error'], operands: 0 },
    chroot: { valueOpts: ['--userspec', '--groups'], operands: 1 },
    setsid: { valueOpts: [], operands: 0 },
    taskset: { valueOpts: [], operands: 1 },
    chrt: { valueOpts: ['-T', '-P', '-D'], operands: 1 },
  }).map(([k, v]) => [k, { valueOpts: new Set(v.valueOpts), operands: v.operands }]),
);

/** Strips `env A=1`, `busybox`, `exec`, `timeout 5`, ... so the real command is argv[0]. */
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
        // `env -u NAME` and `env -C DIR` take a value.
        if (a === '-u' || a === '-C' || a === '--unset' || a === '--chdir') i++;
        i++;
      }
      rest = rest.slice(i);
      continue;
    }
    const wrapper = WRAPPERS.get(base);
    if (!wrapper) return rest;
    let i = 1;
    while (i < rest.length) {
      const a = text(rest[i]!);
      if (a === null || !a.startsWith('-') || a === '-') break;
      i++;
      if (a === '--') break;
      // A value in the same word (`-n5`, `--signal=KILL`) or none; otherwise the next word.
      if (wrapper.valueOpts.has(a)) i++;
    }
    rest = rest.slice(Math.min(rest.length, i + wrapper.operands));
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
      const entry = env && Object.hasOwn(env, name) ? env[name] : undefined;
      const value = entry?.value;
      if (close !== -1 && isEnvName(name) && value !== undefined && entry?.fieldRef === undefined) {
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
