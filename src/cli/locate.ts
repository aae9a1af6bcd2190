/**
 * Maps a finding to the line and column of the key it is about, for reports that point at
 * the source: `spec.ports[0].nodePort` to the `nodePort:` line, a workload's
 * `spec.template.spec.containers[1].ports[0].hostPort` to that `hostPort:`, and a script
 * finding to the script's line inside a literal block scalar. Objects keep only their
 * document's text (DocumentSource), so it is parsed again here, once per document with
 * findings, instead of every node tree being kept while the review runs. The path is
 * followed through yaml's CST (no composition: about 2.5 times cheaper, which matters when
 * thousands of objects have findings); only a path through an alias or a merge key is
 * followed through the composed document, where aliases resolve.
 */
import {
  CST,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  parseDocument,
  Scalar,
} from 'yaml';
import { type DocumentSource, withPlainEnv } from '../input/yaml-input.js';
import { shellInput, stripWrappers } from '../shell/command.js';
import type { LoadedObject } from './manifest-loader.js';

export interface Position {
  line: number;
  /** 1-based, in UTF-16 code units (SARIF's `utf16CodeUnits`). */
  column?: number;
}

interface Parsed {
  /** The document's CST, or undefined for a text with no document. */
  cst: CST.Document | undefined;
  counter: LineCounter;
  pads: Map<number, number>;
  /** The composed document, built only for paths the CST cannot follow. */
  doc?: ReturnType<typeof parseDocument>;
}

/**
 * The last document parsed: findings come object by object, and the items of a List (which
 * share their document) one after another, so one entry serves them all without keeping
 * every document's CST alive until the end of the run.
 */
let last: { source: DocumentSource; parsed: Parsed } | undefined;

function parse(source: DocumentSource): Parsed {
  if (last?.source === source) return last.parsed;
  const counter = new LineCounter();
  // Callers locating many findings run them all inside one withPlainEnv (see locateAll).
  const tokens = [...new Parser(counter.addNewLine).parse(source.text)];
  const cst = tokens.find((t): t is CST.Document => t.type === 'document');
  const parsed: Parsed = { cst, counter, pads: new Map(source.pads ?? []) };
  last = { source, parsed };
  return parsed;
}

function composed(source: DocumentSource, parsed: Parsed): NonNullable<Parsed['doc']> {
  // Only positions are read: errors (a tag directive the slice lacks) do not matter here.
  parsed.doc ??= parseDocument(source.text, { version: '1.1', prettyErrors: false });
  return parsed.doc;
}

/** The text a key token stands for, or undefined for a key that is not a scalar. */
function keyText(key: CST.Token | null | undefined): string | undefined {
  if (!key || !CST.isScalar(key)) return undefined;
  return key.type === 'scalar' ? key.source : CST.resolveAsScalar(key)?.value;
}

/**
 * One step of `rest` through the CST: the child token, the offset where it is named (the
 * key, or the item), and what is left; 'composed' when only the composed document can say
 * (an alias, a merge key).
 */
function cstStep(
  token: CST.Token | undefined,
  rest: string,
): { next: CST.Token | undefined; at: number; rest: string } | 'composed' | undefined {
  if (!token) return undefined;
  if (token.type === 'alias') return 'composed';
  if (rest.startsWith('[')) {
    const m = /^\[(\d+)\]\.?/.exec(rest);
    const isSeqToken =
      token.type === 'block-seq' || (token.type === 'flow-collection' && token.start.source === '[');
    if (!m || !isSeqToken) return undefined;
    const item = token.items[Number(m[1])];
    const at = item?.value?.offset ?? item?.start.at(-1)?.offset;
    return item && at !== undefined ? { next: item.value, at, rest: rest.slice(m[0].length) } : undefined;
  }
  const isMapToken =
    token.type === 'block-map' || (token.type === 'flow-collection' && token.start.source === '{');
  if (!isMapToken) return undefined;
  // Keys may hold dots (`portguard.io/mode`): the longest key that `rest` starts with wins.
  let best: { key: string; at: number; value: CST.Token | undefined } | undefined;
  let merges = false;
  for (const item of token.items) {
    const key = keyText(item.key);
    if (key === undefined || !item.key) continue;
    if (key === '<<') merges = true;
    const after = rest[key.length];
    if (!rest.startsWith(key) || (after !== undefined && after !== '.' && after !== '[')) continue;
    if (!best || key.length > best.key.length) best = { key, at: item.key.offset, value: item.value };
  }
  if (!best) return merges ? 'composed' : undefined;
  const left = rest.slice(best.key.length);
  return { next: best.value, at: best.at, rest: left.startsWith('.') ? left.slice(1) : left };
}

/** `path` from `root` through the CST: the deepest token reached and where it was named. */
function cstWalk(
  root: CST.Token | undefined,
  path: string,
): { token: CST.Token | undefined; at: number | undefined; complete: boolean } | 'composed' {
  let token = root;
  let at: number | undefined;
  let rest = path;
  while (rest !== '') {
    const next = cstStep(token, rest);
    if (next === 'composed') return next;
    if (!next) return { token, at, complete: false };
    ({ next: token, at, rest } = next);
  }
  return { token, at, complete: true };
}

/** The position in the file of an offset in the document's text. */
function position(source: DocumentSource, parsed: Parsed, offset: number): Position {
  const { line, col } = parsed.counter.linePos(offset);
  const shift = (line === 1 ? source.column : 0) - (parsed.pads.get(line - 1) ?? 0);
  return { line: source.line + line - 1, column: col + shift };
}

/** One step down `rest` through the composed document, where aliases resolve. */
function step(
  node: unknown,
  rest: string,
  doc: NonNullable<Parsed['doc']>,
): { next: unknown; at: Node; rest: string } | undefined {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (rest.startsWith('[')) {
    const m = /^\[(\d+)\]\.?/.exec(rest);
    const item = m && isSeq(target) ? (target.items[Number(m[1])] as Node | undefined) : undefined;
    return item && m ? { next: item, at: item, rest: rest.slice(m[0].length) } : undefined;
  }
  if (!isMap(target)) return undefined;
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

/** A `command` or `args` entry: its text (null when not a string) and where its value starts. */
interface Arg {
  text: string | null;
  literal: boolean;
  offset: number | undefined;
}

/** How `locate` reads one representation of the document: the CST, or the composed document. */
interface Tree {
  root: unknown;
  walk(
    from: unknown,
    path: string,
  ): { node: unknown; at: number | undefined; complete: boolean } | 'composed';
  /** The entries of the sequence at `key` in the map `container`. */
  args(container: unknown, key: 'command' | 'args'): Arg[];
}

function cstTree(parsed: Parsed): Tree {
  return {
    root: parsed.cst?.value,
    walk(from, path) {
      const r = cstWalk(from as CST.Token | undefined, path);
      return r === 'composed' ? r : { node: r.token, at: r.at, complete: r.complete };
    },
    args(container, key) {
      const seq = cstStep(container as CST.Token | undefined, key);
      const token = seq && seq !== 'composed' ? seq.next : undefined;
      if (token?.type !== 'block-seq' && token?.type !== 'flow-collection') return [];
      return token.items.map(({ value }) => {
        const scalar = value && CST.isScalar(value) ? CST.resolveAsScalar(value) : null;
        return {
          text: scalar ? scalar.value : null,
          literal: scalar?.type === Scalar.BLOCK_LITERAL,
          offset: value?.offset,
        };
      });
    },
  };
}

function composedTree(source: DocumentSource, parsed: Parsed): Tree {
  const doc = composed(source, parsed);
  return {
    root: doc.contents,
    walk(from, path) {
      let node = from;
      let at: number | undefined;
      let rest = path;
      while (rest !== '') {
        const next = step(node, rest, doc);
        if (!next) return { node, at, complete: false };
        node = next.next;
        at = next.at.range?.[0];
        rest = next.rest;
      }
      return { node, at, complete: true };
    },
    args(container, key) {
      const target = isAlias(container) ? container.resolve(doc) : container;
      const seq = isMap(target) ? target.get(key, true) : undefined;
      if (!isSeq(seq)) return [];
      return (seq.items as Node[]).map((i) => ({
        text: isScalar(i) ? String(i.value) : null,
        literal: isScalar(i) && i.type === Scalar.BLOCK_LITERAL,
        offset: i.range?.[0],
      }));
    },
  };
}

/**
 * The position of line `scriptLine` of the container script that `sh -c` runs, when that
 * script is a literal block scalar (`|`) holding that many lines, or a one-line scalar and
 * the line is 1; otherwise undefined. The script is picked as the analyzer picks it.
 */
function scriptPosition(
  source: DocumentSource,
  parsed: Parsed,
  argv: Arg[],
  scriptLine: number,
): Position | undefined {
  const texts = argv.map((a) => a.text);
  const inner = stripWrappers(texts, (s) => s);
  const input = shellInput(inner, (s) => s);
  if (input?.from !== 'c') return undefined;
  const script = argv[texts.length - inner.length + input.index];
  if (!script || script.text === null || script.offset === undefined) return undefined;
  const lines = script.text.replace(/\n$/, '').split('\n').length;
  if (script.literal && scriptLine <= lines) {
    // The header (`|`) is on its own line; the script's first line is the next one.
    const header = parsed.counter.linePos(script.offset).line;
    const lineStart = parsed.counter.lineStarts[header + scriptLine - 1];
    if (lineStart === undefined) return undefined;
    let offset = lineStart;
    while (source.text[offset] === ' ') offset++;
    return position(source, parsed, offset);
  }
  if (!script.text.includes('\n') && scriptLine === 1) return position(source, parsed, script.offset);
  return undefined;
}

const SCRIPT_KEY = /(^|\.)(command|args)$/;

/** `locate` in one tree; undefined when only the composed document can follow the path. */
function locateIn(
  tree: Tree,
  source: DocumentSource,
  parsed: Parsed,
  loaded: LoadedObject,
  path: string,
  scriptLine: number | undefined,
): Position | undefined {
  const object = tree.walk(tree.root, loaded.at ?? '');
  if (object === 'composed') return undefined;
  const start = object.at ?? (tree.root === object.node ? rootOffset(object.node) : undefined);
  const home = start !== undefined ? position(source, parsed, start) : { line: loaded.line };
  if (!object.complete) return home;
  const found = tree.walk(object.node, path);
  if (found === 'composed') return undefined;
  if (scriptLine !== undefined && found.complete && SCRIPT_KEY.test(path)) {
    const container = tree.walk(object.node, path.replace(/\.?(command|args)$/, ''));
    if (container === 'composed') return undefined;
    if (container.complete) {
      const argv = [...tree.args(container.node, 'command'), ...tree.args(container.node, 'args')];
      const at = scriptPosition(source, parsed, argv, scriptLine);
      if (at) return at;
    }
  }
  return found.at !== undefined ? position(source, parsed, found.at) : home;
}

function rootOffset(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  if ('offset' in node && typeof node.offset === 'number') return node.offset;
  const range = (node as Node).range;
  return range?.[0];
}

/**
 * Where a finding on `loaded` points: the key its path names (the deepest node found, if the
 * path goes through something the text does not spell out), or the script line for script
 * findings; the object's own line when there is no source.
 */
export function locate(loaded: LoadedObject, path: string, scriptLine?: number): Position {
  const source = loaded.source;
  if (!source) return { line: loaded.line };
  const parsed = parse(source);
  return (
    locateIn(cstTree(parsed), source, parsed, loaded, path, scriptLine) ??
    locateIn(composedTree(source, parsed), source, parsed, loaded, path, scriptLine) ?? { line: loaded.line }
  );
}

/**
 * Locates many findings at once: with a plain copy of `process.env` in place for the whole
 * pass, as the loader parses (yaml reads an env variable for every token).
 */
export function locateAll<T extends { loaded: LoadedObject; path: string; scriptLine?: number }>(
  items: T[],
): Position[] {
  return withPlainEnv(() => items.map((i) => locate(i.loaded, i.path, i.scriptLine)));
}
