import { concat, lit, textOf, unknownValue, type Value } from './value.js';

/**
 * What `echo` and `printf` print, so `echo 1 > /proc/sys/...` and `printf ... | tee` can be
 * resolved to the bytes the kernel receives.
 */

const ECHO_FLAGS = /^-[neE]+$/;

export function echoOutput(args: Value[]): Value {
  let newline = true;
  let escapes = false;
  let i = 0;
  for (; i < args.length; i++) {
    const t = textOf(args[i]!);
    if (t === null || !ECHO_FLAGS.test(t)) break;
    for (const ch of t.slice(1)) {
      if (ch === 'n') newline = false;
      else if (ch === 'e') escapes = true;
      else escapes = false;
    }
  }
  const parts: Value[] = [];
  args.slice(i).forEach((a, n) => {
    if (n > 0) parts.push(lit(' '));
    parts.push(escapes ? mapText(a, (s) => unescapeC(s).text) : a);
  });
  if (newline) parts.push(lit('\n'));
  return concat(...parts);
}

/** Subset of printf: `%s %d %i %u %b %%` and backslash escapes; other directives → unknown. */
export function printfOutput(args: Value[]): Value {
  const [formatArg, ...rest] = args;
  if (!formatArg) return [];
  const format = textOf(formatArg);
  if (format === null) return unknownValue('printf format is not resolvable');
  const out: Value[] = [];
  let argi = 0;
  // printf reuses the format while arguments remain (but always runs it once).
  do {
    const before = argi;
    for (let i = 0; i < format.length; i++) {
      const ch = format[i]!;
      if (ch === '\\') {
        const e = escapeAt(format, i);
        out.push(lit(e.text));
        i = e.next - 1;
        continue;
      }
      if (ch !== '%') {
        out.push(lit(ch));
        continue;
      }
      const d = format[i + 1];
      i++;
      if (d === '%') out.push(lit('%'));
      else if (d === 's' || d === 'd' || d === 'i' || d === 'u')
        out.push(rest[argi++] ?? lit(d === 's' ? '' : '0'));
      else if (d === 'b') out.push(mapText(rest[argi++] ?? lit(''), (s) => unescapeC(s).text));
      else return unknownValue(`printf format %${d ?? ''} is not supported`);
    }
    if (argi === before) break;
  } while (argi < rest.length);
  return concat(...out);
}

function mapText(v: Value, f: (s: string) => string): Value {
  return v.map((p) => ('text' in p ? { text: f(p.text) } : p));
}

const SIMPLE: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  e: '\x1b',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/** Decodes C-style escapes as `echo -e`, `printf` and `$'...'` do. */
export function unescapeC(s: string): { text: string } {
  let out = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\') {
      const e = escapeAt(s, i);
      out += e.text;
      i = e.next;
    } else {
      out += s[i];
      i++;
    }
  }
  return { text: out };
}

/** Decodes the escape sequence starting with the backslash at `i`. */
function escapeAt(s: string, i: number): { text: string; next: number } {
  const next = s[i + 1];
  if (next === undefined) return { text: '\\', next: i + 1 };
  const simple = SIMPLE[next];
  if (simple !== undefined) return { text: simple, next: i + 2 };
  if (next >= '0' && next <= '7') {
    let j = i + 1;
    let digits = '';
    while (j < s.length && digits.length < 3 && s[j]! >= '0' && s[j]! <= '7') digits += s[j++];
    return { text: String.fromCharCode(Number.parseInt(digits, 8)), next: j };
  }
  if (next === 'x') {
    let j = i + 2;
    let digits = '';
    while (j < s.length && digits.length < 2 && HEX.includes(s[j]!)) digits += s[j++];
    if (digits === '') return { text: '\\x', next: i + 2 };
    return { text: String.fromCharCode(Number.parseInt(digits, 16)), next: j };
  }
  return { text: `\\${next}`, next: i + 2 };
}

const HEX = '0123456789abcdefABCDEF';
