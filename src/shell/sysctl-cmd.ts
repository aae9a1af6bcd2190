import { DEFAULT_CONF } from './sysctl-conf.js';
import { splitFirst, textOf, unknownValue, type Value } from './value.js';

/**
 * Meaning of a `sysctl` command line (procps-ng and busybox), reduced to what matters here:
 * which settings it writes and which files it loads. Reads (`sysctl -n key`) yield nothing.
 */
export type SysctlAction =
  | { kind: 'set'; key: Value; value: Value }
  | { kind: 'load'; file: Value }
  | { kind: 'system' };

// Short options that take no argument in procps/busybox; `-p`/`-f` are handled separately.
const FLAG_LETTERS = new Set('abcdeghilnNoqrtuvwxAXV');

export function sysctlActions(args: Value[]): SysctlAction[] {
  let write = false;
  let load = false;
  let system = false;
  let namesOnly = false;
  const operands: Value[] = [];
  const files: Value[] = [];
  let endOfOptions = false;
  for (const arg of args) {
    const t = textOf(arg);
    if (endOfOptions || t === null || !t.startsWith('-') || t === '-') {
      operands.push(arg);
      continue;
    }
    if (t === '--') {
      endOfOptions = true;
    } else if (t.startsWith('--')) {
      const [name, inline] = t.includes('=')
        ? [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]
        : [t, null];
      if (name === '--write') write = true;
      else if (name === '--system') system = true;
      else if (name === '--load') {
        load = true;
        if (inline !== null) files.push([{ text: inline }]);
      } else if (name === '--values') namesOnly = true;
    } else {
      // Clustered short flags: `-qw`, `-ep`, `-pFILE`.
      for (let i = 1; i < t.length; i++) {
        const c = t[i]!;
        if (c === 'p' || c === 'f') {
          load = true;
          const rest = t.slice(i + 1);
          if (rest !== '') files.push([{ text: rest }]);
          break;
        }
        if (c === 'w') write = true;
        else if (c === 'n') namesOnly = true;
        else if (!FLAG_LETTERS.has(c)) break;
      }
    }
  }
  const actions: SysctlAction[] = [];
  if (system) actions.push({ kind: 'system' });
  if (load) {
    // With -p every operand is a file to load; no operand means /etc/sysctl.conf.
    const all = [...files, ...operands];
    if (all.length === 0) all.push([{ text: DEFAULT_CONF }]);
    for (const f of all) actions.push({ kind: 'load', file: f });
    return actions;
  }
  if (system) return actions;
  for (const op of operands) {
    const kv = splitFirst(op, '=');
    if (kv) {
      actions.push({ kind: 'set', key: kv[0], value: kv[1] });
    } else if (write || (op.length === 1 && 'unknown' in op[0]! && !namesOnly)) {
      if (textOf(op) !== null) continue;
      // `sysctl -w "$SETTING"`: might be a write of anything; never silently dropped.
      actions.push({ kind: 'set', key: op, value: unknownValue('sysctl argument is not resolvable') });
    }
  }
  return actions;
}
