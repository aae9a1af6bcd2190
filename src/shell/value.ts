/**
 * A shell value that may be only partly known. Scripts mix literals with `$(cmd)` or unknown
 * variables; keeping the known text around lets us still name the key in `k=$(cmd)`.
 */

export type Part = { text: string } | { unknown: string };
export type Value = Part[];

export function lit(text: string): Value {
  return [{ text }];
}

export function unknownValue(reason: string): Value {
  return [{ unknown: reason }];
}

/** Concatenates values, merging adjacent text so that searches for `=` or `\n` see whole strings. */
export function concat(...values: Value[]): Value {
  const out: Value = [];
  for (const v of values) {
    for (const p of v) {
      const last = out[out.length - 1];
      if ('text' in p && last && 'text' in last) {
        out[out.length - 1] = { text: last.text + p.text };
      } else if (!('text' in p) || p.text !== '') {
        out.push(p);
      }
    }
  }
  return out;
}

export function textOf(v: Value): string | null {
  let s = '';
  for (const p of v) {
    if (!('text' in p)) return null;
    s += p.text;
  }
  return s;
}

export function reasonOf(v: Value): string | undefined {
  for (const p of v) if ('unknown' in p) return p.unknown;
  return undefined;
}

/** Renders unknown stretches as `*`, for keys and paths that are only partly known. */
export function render(v: Value): string {
  return v.map((p) => ('text' in p ? p.text : '*')).join('');
}

/** Splits at the first `sep` found in known text; unknown parts never count as containing it. */
export function splitFirst(v: Value, sep: string): [Value, Value] | null {
  for (let i = 0; i < v.length; i++) {
    const p = v[i]!;
    if (!('text' in p)) continue;
    const at = p.text.indexOf(sep);
    if (at === -1) continue;
    const before = concat(v.slice(0, i), lit(p.text.slice(0, at)));
    const after = concat(lit(p.text.slice(at + sep.length)), v.slice(i + 1));
    return [before, after];
  }
  return null;
}

export function splitAll(v: Value, sep: string): Value[] {
  const out: Value[] = [];
  let rest = v;
  for (;;) {
    const s = splitFirst(rest, sep);
    if (!s) break;
    out.push(s[0]);
    rest = s[1];
  }
  out.push(rest);
  return out;
}

export function trim(v: Value): Value {
  const out = v.slice();
  const first = out[0];
  if (first && 'text' in first) out[0] = { text: first.text.replace(/^\s+/, '') };
  const last = out[out.length - 1];
  if (last && 'text' in last) out[out.length - 1] = { text: last.text.replace(/\s+$/, '') };
  return concat(out);
}

/** Drops one trailing newline: `echo` adds it, the kernel ignores it, and users never mean it. */
export function chompNewline(v: Value): Value {
  const last = v[v.length - 1];
  if (last && 'text' in last && last.text.endsWith('\n')) {
    return concat(v.slice(0, -1), lit(last.text.slice(0, -1)));
  }
  return v;
}

/** The known text before the first unknown part, e.g. to see that a partly known path is under /proc/sys. */
export function knownPrefix(v: Value): string {
  let s = '';
  for (const p of v) {
    if (!('text' in p)) break;
    s += p.text;
  }
  return s;
}
