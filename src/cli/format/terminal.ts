/**
 * What text output needs to be safe and readable on a terminal: whether to colour, escaping
 * of what the input controls (an object named `\x1b[31m…` must not colour or move anything),
 * and wrapping to the terminal's width.
 */
import { WriteStream } from 'node:tty';

/** FORCE_COLOR values that turn colour on, as Node reads them (`tty.getColorDepth`). */
const FORCE_ON = new Set(['', '1', 'true', '2', '3']);

/**
 * Colour the way Node's `util.styleText` decides for a stream: FORCE_COLOR, when set, wins
 * (`''`, `1`, `true`, `2`, `3` colour even into a pipe; `0`, `false` and anything else do
 * not); otherwise only a TTY whose colour depth is above 2, which NO_COLOR (set and not
 * empty), NODE_DISABLE_COLORS, `TERM=dumb` or a TERM without colours rule out (as does no
 * TERM at all, outside CI systems Node knows).
 */
export function wantsColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR !== undefined) return FORCE_ON.has(env.FORCE_COLOR);
  // An empty NO_COLOR does not count (no-color.org, and Node 24); Node 20 counted it.
  const { NO_COLOR, ...rest } = env;
  if (isTTY !== true || NO_COLOR) return false;
  // getColorDepth reads only the env it is given; it is a method only for the stream API.
  return WriteStream.prototype.getColorDepth.call(undefined, rest) > 2;
}

/** Unicode bidirectional controls: they reorder what follows on the line ("Trojan Source"). */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Shows the control characters of `s` as escapes: `\n`, `\t`, `\r`, `\x1b` (C0, DEL, C1)
 * and `\u202e` (bidirectional controls), so text from manifests cannot drive the terminal.
 */
export function escapeControls(s: string): string {
  return s.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return BIDI.test(c) ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/**
 * Wraps `text` at spaces to lines of at most `width` characters, the first prefixed by
 * `first` and the rest by `rest` (both counted); a word longer than a line stays whole.
 * Without a width, one line.
 */
export function wrap(text: string, width: number | undefined, first: string, rest: string): string[] {
  if (width === undefined) return [first + text];
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line += empty ? word : ` ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}
