/**
 * Reads what kubectl reads. kubectl decodes manifests with go-yaml (yaml.v2 through
 * sigs.k8s.io/yaml), whose scanner does not check the indentation of the continuation
 * lines of a quoted scalar: `yaml_parser_scan_flow_scalar` stops only at the closing
 * quote, at a `---` or `...` line at column 0 ("found unexpected document indicator") and
 * at the end of the input. yaml follows the YAML spec, which wants those lines indented
 * deeper than the parent block, and cuts the scalar at the first line that is not. Old
 * charts have such files (an Elasticsearch chart's `pod.beta.kubernetes.io/init-containers`
 * annotation, a JSON array in single quotes whose `]'` sits at the key's indentation), and
 * `kubectl apply` takes them.
 *
 * So when yaml reports a quoted scalar without its closing quote, the document is read
 * again with spaces inserted at the start of that scalar's continuation lines. This changes
 * nothing in the value: a quoted scalar's continuation lines lose their leading white space
 * when lines are folded (YAML 1.2 §7.3, and go-yaml's scanner skips it the same way). Line
 * numbers stay the same; columns on a padded line move, which `pads` records.
 *
 * What go-yaml (yaml.v2 2.4.0, sigs.k8s.io/yaml 1.3.0) does, and what this reads alike
 * (test/input/yaml-compat.test.ts holds each case with go-yaml's output):
 * - continuation lines at or below the key's indentation, down to column 0, tab-indented
 *   or blank: accepted, the value folded as usual;
 * - a `---` or `...` line at column 0 inside the quotes: rejected (a document marker);
 * - no closing quote before the end of the input: rejected;
 * - a plain (unquoted) scalar continued at or below its key's indentation: rejected by go-yaml
 *   too ("could not find expected ':'"), so left to yaml's error;
 * - a flow collection (`[`, `{`) continued below its key's indentation: go-yaml accepts it,
 *   yaml does not, and this module does not change that (the value's extent would need a
 *   scanner of its own); the error stands.
 */
import { Composer, CST, type Document, type DocumentOptions, LineCounter, Parser } from 'yaml';

/**
 * go-yaml's document indicator: `---` or `...` at column 0 followed by a blank, a line
 * break or the end of the input (`is_blankz`).
 */
function isDocumentIndicator(text: string, at: number): boolean {
  const three = text.slice(at, at + 3);
  if (three !== '---' && three !== '...') return false;
  const next = text[at + 3];
  return next === undefined || next === ' ' || next === '\t' || next === '\n' || next === '\r';
}

/**
 * The offset of the closing quote go-yaml finds for the quoted scalar that opens at `start`,
 * or undefined where go-yaml fails: a document indicator at the start of a line, or the end
 * of the input. `''` is an escaped quote in single quotes; in double quotes a backslash
 * escapes the next character, except a line break, which it continues.
 */
export function goYamlQuoteEnd(text: string, start: number): number | undefined {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n' || c === '\r') {
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      if (isDocumentIndicator(text, i)) return undefined;
      continue;
    }
    if (quote === "'" && c === "'") {
      if (text[i + 1] !== "'") return i;
      i += 2;
      continue;
    }
    if (quote === '"') {
      if (c === '"') return i;
      if (c === '\\' && text[i + 1] !== '\n' && text[i + 1] !== '\r') {
        i += 2;
        continue;
      }
    }
    i++;
  }
  return undefined;
}

/** A document as read again, with what changed in its text. */
export interface CompatRead {
  doc: Document.Parsed;
  /** The text the document was read from: the original with spaces inserted. */
  text: string;
  lineCounter: LineCounter;
  /** Spaces inserted at the start of lines: [0-based line index in `text`, count]. */
  pads: [number, number][];
}

/** What a document re-read may still cost, in characters parsed; shared across a file's documents. */
export interface ReadBudget {
  chars: number;
}

/**
 * The first quoted scalar that yaml ended elsewhere than go-yaml does, with go-yaml's
 * closing quote, when no error comes before it (an error before it is the document's own).
 * yaml ends a quoted scalar early at an under-indented line; the tokens after such a cut are
 * garbage, so only the first one counts.
 */
function firstCutScalar(
  text: string,
  tokens: CST.Token[],
  doc: Document.Parsed,
): { open: number; close: number | undefined } | undefined {
  const quoted: CST.FlowScalar[] = [];
  for (const token of tokens) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      for (const t of [item.key, item.value]) {
        if (t?.type === 'single-quoted-scalar' || t?.type === 'double-quoted-scalar') quoted.push(t);
      }
    });
  }
  quoted.sort((a, b) => a.offset - b.offset);
  for (const t of quoted) {
    const last = t.offset + t.source.length - 1;
    const close = goYamlQuoteEnd(text, t.offset);
    if (close === last && last > t.offset) continue;
    if (doc.errors.some((e) => e.pos[0] < t.offset)) return undefined;
    return { open: t.offset, close };
  }
  return undefined;
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/**
 * Inserts spaces so that every continuation line of the scalar from `open` to `close` is
 * indented at least to the column of its opening quote, which is deeper than any block the
 * scalar is in. Empty lines stay empty.
 */
function padScalar(
  text: string,
  open: number,
  close: number,
  pads: Map<number, number>,
  lineOf: (offset: number) => number,
): string {
  const want = columnOf(text, open);
  const parts: string[] = [];
  let from = 0;
  for (let nl = text.indexOf('\n', open); nl !== -1 && nl < close; nl = text.indexOf('\n', nl + 1)) {
    const lineStart = nl + 1;
    let spaces = 0;
    while (text[lineStart + spaces] === ' ') spaces++;
    const next = text[lineStart + spaces];
    if (spaces >= want || next === '\n' || next === '\r') continue;
    parts.push(text.slice(from, lineStart), ' '.repeat(want - spaces));
    from = lineStart;
    const line = lineOf(lineStart);
    pads.set(line, (pads.get(line) ?? 0) + want - spaces);
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/**
 * Where the document that starts at `start` ends for kubectl: at the next line that is a
 * document indicator (`---` or `...` at column 0), which go-yaml does not allow inside a
 * scalar either; else at the end of the text.
 */
export function documentEnd(text: string, start: number): number {
  for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', nl + 1)) {
    if (isDocumentIndicator(text, nl + 1)) return nl + 1;
  }
  return text.length;
}

/**
 * Reads one document's text again as go-yaml would, after yaml found errors in it. Returns
 * undefined when no quoted scalar was cut by its indentation, so yaml's first error stands;
 * otherwise the document read from the padded text (whose `errors` hold any error left,
 * at lines of the original text). Each attempt fixes one scalar; attempts stop when
 * `budget` is spent, so a hostile file cannot make this re-read it without end.
 */
export function readAsGoYaml(
  text: string,
  options: DocumentOptions & { version: '1.1' | '1.2' },
  budget: ReadBudget,
): CompatRead | undefined {
  const pads = new Map<number, number>();
  let current = text;
  /** The latest read after a fix, returned when the budget runs out before the next. */
  let last: CompatRead | undefined;
  for (;;) {
    if (budget.chars < current.length) return pads.size > 0 ? last : undefined;
    budget.chars -= current.length;
    const lineCounter = new LineCounter();
    const tokens = [...new Parser(lineCounter.addNewLine).parse(current)];
    const docs = [...new Composer({ ...options, prettyErrors: false }).compose(tokens)];
    const doc = docs[0];
    // The text was one document; padding inside quotes cannot split it.
    if (!doc || docs.length !== 1) return last;
    const read = { doc, text: current, lineCounter, pads: [...pads] };
    // Clean before any fix: the errors were not in this text alone (a directive before it,
    // garbage after it); yaml's error stands.
    if (doc.errors.length === 0) return pads.size > 0 ? read : undefined;
    const cut = firstCutScalar(current, tokens, doc);
    // No scalar go-yaml reads differently, or go-yaml fails on it too: the error left is the
    // document's own (before any fix, the one yaml first reported).
    if (cut?.close === undefined) return pads.size > 0 ? read : undefined;
    last = read;
    const padded = padScalar(current, cut.open, cut.close, pads, (o) => lineCounter.linePos(o).line - 1);
    // Every line already deep enough: yaml ends the scalar elsewhere for another reason.
    if (padded === current) return pads.size > 0 ? read : undefined;
    current = padded;
  }
}
