/**
 * Findings as admission warnings. kubectl prints each warning on its own line and the
 * apiserver drops any over its limits, so a warning is at most MAX_WARNING_CHARS code
 * points. A finding's message (problem, consequence, then the fix) is longer than that,
 * so it is wrapped over up to MAX_WARNINGS_PER_FINDING warnings at word boundaries; when
 * even that is too short, the problem is shortened and the fix kept, since the fix is
 * what the user acts on. The response carries at most MAX_FINDING_WARNINGS warnings,
 * the last saying how many findings were left out.
 */
import { LRUCache } from 'lru-cache';
import type { Finding } from '../core/types.js';
import {
  cleanWarningText,
  codePointLength,
  MAX_WARNING_CHARS,
  PRINTABLE_ASCII,
} from './admission-response.js';

export const MAX_WARNINGS_PER_FINDING = 3;
/** Warnings for findings in one response, the "more findings" line included. */
export const MAX_FINDING_WARNINGS = 10;

/** Marks a warning that continues the previous one. */
const CONTINUED = '… ';
const ELLIPSIS = '…';

/** Code-point lengths and cuts; plain string operations when the text is ASCII. */
interface Measure {
  len(s: string): number;
  /** The first `n` code points of `s` (never half a surrogate pair) and the rest. */
  cut(s: string, n: number): [string, string];
}

const ASCII_MEASURE: Measure = {
  len: (s) => s.length,
  cut: (s, n) => [s.slice(0, n), s.slice(n)],
};

const UNICODE_MEASURE: Measure = {
  len: codePointLength,
  cut: (s, n) => {
    const cps = Array.from(s);
    return [cps.slice(0, n).join(''), cps.slice(n).join('')];
  },
};

/**
 * Fills lines of `widths[i]` code points with the words of `text`, breaking between
 * words; a word longer than a whole line is cut. Returns the lines and whatever did not fit.
 */
function wrap(text: string, widths: readonly number[], m: Measure): { lines: string[]; rest: string } {
  const words = text.split(' ');
  const lines: string[] = [];
  let w = 0;
  for (const width of widths) {
    if (w >= words.length) break;
    let line = '';
    let used = 0;
    while (w < words.length) {
      const word = words[w]!;
      const len = m.len(word);
      const sep = used === 0 ? 0 : 1;
      if (used + sep + len <= width) {
        line += (sep ? ' ' : '') + word;
        used += sep + len;
        w++;
      } else if (used === 0) {
        // A word wider than the line (a long path or name): cut it, carry the rest over.
        [line, words[w]] = m.cut(word, width);
        used = width;
        break;
      } else break;
    }
    lines.push(line);
  }
  return { lines, rest: words.slice(w).join(' ') };
}

/** `text` in at most `width` code points, cut at a word boundary when one is near, with "…". */
function shorten(text: string, width: number, m: Measure): string {
  if (m.len(text) <= width) return text;
  const [cut] = m.cut(text, width - 1);
  const space = cut.lastIndexOf(' ');
  const kept = space > cut.length / 2 ? cut.slice(0, space).replace(/[,;:]$/, '') : cut;
  return `${kept}${ELLIPSIS}`;
}

/** Where the last sentence of a message (its fix, by the rules' convention) starts, or -1. */
function lastSentenceStart(message: string): number {
  const re = /[.;] (?=[A-Z"'`$])/g;
  let at = -1;
  for (let m = re.exec(message); m; m = re.exec(message)) at = m.index + 2;
  return at;
}

/** UTF-16 units kept from each end of a long message. */
const KEPT_UNITS = 1024;

/**
 * Three warnings show at most 360 code points of a message: its start, then possibly its
 * last sentence. Wrapping (a few passes when the fix is kept) then costs the same for a
 * message of megabytes, e.g. one quoting a huge object name, as for an ordinary one.
 */
function bounded(message: string): string {
  if (message.length <= 2 * KEPT_UNITS) return message;
  // A pair cut in two becomes U+FFFD in cleanWarningText, far from anything shown.
  return `${message.slice(0, KEPT_UNITS)} ${message.slice(-KEPT_UNITS)}`;
}

/**
 * The longest start of `problem` that, shortened with "…" and followed by the whole
 * `fix`, fits in `widths`; undefined when not even the fix alone fits.
 */
function keepFix(problem: string, fix: string, widths: readonly number[], m: Measure): string[] | undefined {
  const attempt = (n: number) => {
    const fitted = wrap(`${n === 0 ? ELLIPSIS : shorten(problem, n, m)} ${fix}`, widths, m);
    return fitted.rest === '' ? fitted.lines : undefined;
  };
  let best = attempt(0);
  if (!best) return undefined;
  // A longer start never needs fewer lines: binary search its length in code points.
  let lo = 2;
  let hi = Math.min(
    m.len(problem) - 1,
    widths.reduce((a, b) => a + b, 0),
  );
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const lines = attempt(mid);
    if (lines) {
      best = lines;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/**
 * Wrapped findings by tag, label and message (the 512 most recently used); pods of one
 * template repeat the same findings.
 */
const wrapped = new LRUCache<string, readonly string[]>({ max: 512 });

/**
 * One finding as 1 to MAX_WARNINGS_PER_FINDING warnings: `label` and the message wrapped,
 * later lines starting with "… ". `tag` ("[2] ") numbers the findings of a response so
 * that no two continuation lines are equal: the apiserver drops repeated warnings.
 */
export function wrapFinding(label: string, message: string, tag = ''): readonly string[] {
  const text = bounded(message);
  // Neither tag nor label holds a newline, so the first one ends them.
  const key = `${tag}${label}\n${text}`;
  const hit = wrapped.get(key);
  if (hit) return hit;
  const lines = Object.freeze(layout(label, text, tag));
  wrapped.set(key, lines);
  return lines;
}

function layout(label: string, message: string, tag: string): string[] {
  const first = `${tag}${label}: `;
  const next = `${tag}${CONTINUED}`;
  const text = cleanWarningText(message);
  const m = PRINTABLE_ASCII.test(text) ? ASCII_MEASURE : UNICODE_MEASURE;
  const firstWidth = MAX_WARNING_CHARS - codePointLength(first);
  const nextWidth = MAX_WARNING_CHARS - codePointLength(next);
  const widths = [firstWidth, ...Array<number>(MAX_WARNINGS_PER_FINDING - 1).fill(nextWidth)];
  const whole = wrap(text, widths, m);
  let lines = whole.lines;
  if (whole.rest !== '') {
    const fixAt = lastSentenceStart(text);
    const fitted = fixAt > 0 ? keepFix(text.slice(0, fixAt - 1), text.slice(fixAt), widths, m) : undefined;
    if (fitted) lines = fitted;
    else {
      const last = lines.length - 1;
      lines[last] = shorten(`${lines[last]} ${whole.rest}`, widths[last]!, m);
    }
  }
  return lines.map((line, i) => (i === 0 ? first : next) + line);
}

/** Warnings for `findings`, in order, within MAX_FINDING_WARNINGS. */
export function findingWarnings(findings: readonly Finding[]): string[] {
  const numbered = findings.length > 1;
  const out: string[] = [];
  for (const [i, f] of findings.entries()) {
    const label = `${f.preexisting ? 'existing ' : ''}${f.rule}`;
    const lines = wrapFinding(label, f.message, numbered ? `[${i + 1}] ` : '');
    const left = findings.length - i - 1;
    // Room for the "more" line whenever findings remain after this one.
    if (out.length + lines.length > MAX_FINDING_WARNINGS - (left > 0 ? 1 : 0)) {
      out.push(moreFindings(findings.length - i));
      break;
    }
    out.push(...lines);
  }
  return out;
}

function moreFindings(n: number): string {
  return `${ELLIPSIS} ${n} more finding${n === 1 ? '' : 's'}, see audit annotations`;
}
