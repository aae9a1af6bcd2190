/**
 * Maps a finding to the line and column of the key it is about, for reports that point at
 * the source: `spec.ports[0].nodePort` to the `nodePort:` line, a workload's
 * `spec.template.spec.containers[1].ports[0].hostPort` to that `hostPort:`, and a script
 * finding to the script's line inside a literal block scalar. Objects keep only their
 * document's text (DocumentSource), so the node tree is built again here, once per document
 * with findings, instead of being kept for every object while the review runs.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from 'yaml';
import { shellInput, stripWrappers } from '../shell/command.js';
import type { DocumentSource, LoadedObject } from './manifest-loader.js';

export interface Position {
  line: number;
  /** 1-based, in UTF-16 code units (SARIF's `utf16CodeUnits`). */
  column?: number;
}

interface Parsed {
  doc: ReturnType<typeof parseDocument>;
  counter: LineCounter;
  pads: Map<number, number>;
}

const parsedDocs = new WeakMap<DocumentSource, Parsed>();

function parse(source: DocumentSource): Parsed {
  let parsed = parsedDocs.get(source);
  if (!parsed) {
    const counter = new LineCounter();
    // Only positions are read: errors (a tag directive the slice lacks) do not matter here.
    const doc = parseDocument(source.text, { version: '1.1', lineCounter: counter, prettyErrors: false });
    parsed = { doc, counter, pads: new Map(source.pads ?? []) };
    parsedDocs.set(source, parsed);
  }
  return parsed;
}

/** The position in the file of an offset in the document's text. */
function position(source: DocumentSource, parsed: Parsed, offset: number): Position {
  const { line, col } = parsed.counter.linePos(offset);
  const shift = (line === 1 ? source.column : 0) - (parsed.pads.get(line - 1) ?? 0);
  return { line: source.line + line - 1, column: col + shift };
}

/** One step down `rest` (`name.rest`, `name[0]...`, `[0].rest`): the child, where it is named, and what is left. */
function step(
  node: unknown,
  rest: string,
  doc: Parsed['doc'],
): { next: unknown; at: Node; rest: string } | undefined {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (rest.startsWith('[')) {
    const m = /^\[(\d+)\]\.?/.exec(rest);
    const item = m && isSeq(target) ? (target.items[Number(m[1])] as Node | undefined) : undefined;
    return item && m ? { next: item, at: item, rest: rest.slice(m[0].length) } : undefined;
  }
  if (!isMap(target)) return undefined;
  // Keys may hold dots (`portguard.io/mode`): the longest key that `rest` starts with wins.
  let best: { key: string; at: Node; value: unknown } | undefined;
  for (const pair of target.items) {
    if (!isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const after = rest[key.length];
    if (!rest.startsWith(key) || (after !== undefined && after !== '.' && after !== '[')) continue;
    if (!best || key.length > best.key.length) best = { key, at: pair.key, value: pair.value };
  }
  if (!best) return undefined;
  const left = rest.slice(best.key.length);
  return { next: best.value, at: best.at, rest: left.startsWith('.') ? left.slice(1) : left };
}

/** The deepest node along `path` from `root`, with the node named last (the key or item). */
function walk(
  root: unknown,
  path: string,
  doc: Parsed['doc'],
): { node: unknown; at: Node | undefined; complete: boolean } {
  let node = root;
  let at: Node | undefined;
  let rest = path;
  while (rest !== '') {
    const next = step(node, rest, doc);
    if (!next) return { node, at, complete: false };
    ({ next: node, at, rest } = next);
  }
  return { node, at, complete: true };
}

function stringsOf(node: unknown): { items: Node[]; texts: (string | null)[] } {
  if (!isSeq(node)) return { items: [], texts: [] };
  const items = node.items as Node[];
  return { items, texts: items.map((i) => (isScalar(i) ? String(i.value) : null)) };
}

/**
 * The position of line `scriptLine` of the container script that `sh -c` runs, when that
 * script is a literal block scalar (`|`) holding that many lines, or a one-line scalar and
 * the line is 1; otherwise undefined. The script is picked as the analyzer picks it.
 */
function scriptPosition(
  source: DocumentSource,
  parsed: Parsed,
  container: unknown,
  scriptLine: number,
): Position | undefined {
  if (!isMap(container)) return undefined;
  const command = stringsOf(container.get('command', true));
  const args = stringsOf(container.get('args', true));
  const argv = [...command.texts, ...args.texts];
  const inner = stripWrappers(argv, (s) => s);
  const input = shellInput(inner, (s) => s);
  if (input?.from !== 'c') return undefined;
  const index = argv.length - inner.length + input.index;
  const item = [...command.items, ...args.items][index];
  if (!isScalar(item) || typeof item.value !== 'string' || !item.range) return undefined;
  const lines = item.value.replace(/\n$/, '').split('\n').length;
  if (item.type === Scalar.BLOCK_LITERAL && scriptLine <= lines) {
    // The header (`|`) is on its own line; the script's first line is the next one.
    const header = parsed.counter.linePos(item.range[0]).line;
    const lineStart = parsed.counter.lineStarts[header + scriptLine - 1];
    if (lineStart === undefined) return undefined;
    let offset = lineStart;
    while (source.text[offset] === ' ') offset++;
    return position(source, parsed, offset);
  }
  if (!item.value.includes('\n') && scriptLine === 1) return position(source, parsed, item.range[0]);
  return undefined;
}

/**
 * Where a finding on `loaded` points: the key its path names (the deepest key found, if the
 * path goes through something the text does not spell out, such as a merge key), or the
 * script line for script findings; the object's own line when there is no source.
 */
export function locate(loaded: LoadedObject, path: string, scriptLine?: number): Position {
  const source = loaded.source;
  if (!source) return { line: loaded.line };
  const parsed = parse(source);
  const object = walk(parsed.doc.contents, loaded.at ?? '', parsed.doc);
  const start = isMapOrNode(object.node)
    ? position(source, parsed, object.node.range[0])
    : { line: loaded.line };
  if (!object.complete) return start;
  const found = walk(object.node, path, parsed.doc);
  if (scriptLine !== undefined && found.complete && /(^|\.)(command|args)$/.test(path)) {
    const container = walk(object.node, path.replace(/\.?(command|args)$/, ''), parsed.doc);
    const at = container.complete ? scriptPosition(source, parsed, container.node, scriptLine) : undefined;
    if (at) return at;
  }
  return found.at?.range ? position(source, parsed, found.at.range[0]) : start;
}

function isMapOrNode(n: unknown): n is Node & { range: [number, number, number] } {
  return typeof n === 'object' && n !== null && 'range' in n && Array.isArray((n as Node).range);
}
