/**
 * Loads the node-ranges input for `check` (and `serve --ranges`): a file or stdin (`-`)
 * holding the ConfigMap itself, as applied to the cluster, just its `data` map, or several
 * objects (a `kind: List` as `kubectl get -o yaml` prints it, several YAML documents) of
 * which one is the ConfigMap. Any bad key is fatal here, unlike in the server, because CI
 * must not pass on ranges it only half understood; unknown fields in entries are warnings.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  visit,
} from 'yaml';
import { type ClusterRanges, EntryCache, parseNodeRanges, type RangesWarning } from '../core/node-ranges.js';
import { RangesFileError } from '../core/ranges-error.js';
import { ManifestError } from '../input/manifest-error.js';
import { decodeText, MAX_FILE_BYTES, STDIN_NAME } from '../input/text-input.js';
import { MAX_ALIAS_COUNT, withPlainEnv } from '../input/yaml-input.js';
import { pickRangesData, type RangesSource } from './ranges-select.js';

export { RangesFileError } from '../core/ranges-error.js';
export { rangesDataOf } from './ranges-select.js';

/** Ranges read for use, and the warnings to show about them (one line each, naming the input and keys). */
export interface LoadedRanges {
  ranges: ClusterRanges;
  warnings: string[];
}

/** Where the ranges come from: a path, or `-` for stdin. */
export interface RangesInputOptions {
  /** Relative paths are resolved against it (default: the process's). */
  cwd?: string;
  /** Reads all of stdin, for `-`. */
  readStdin?: () => Promise<Buffer>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A `kind: List` (or `ConfigMapList`) with an items array, as `kubectl get -o yaml` prints. */
function isList(v: unknown): v is { kind: string; items: unknown[] } {
  return isPlainObject(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

/**
 * Offset of the first repeated key in any map of the document, or undefined. yaml's own
 * check (`uniqueKeys`) compares each key with every earlier one, which is quadratic: a
 * 5,000-node ConfigMap spent more time there than in everything else. This is the same
 * test (scalar keys by `===`, other keys by identity, which never repeats) with a `Set`.
 */
export function firstDuplicateKey(doc: Document): number | undefined {
  let first: number | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = pair.key;
        // A Set treats NaN as equal to itself; `===` (yaml's test) does not.
        if (!isScalar(key) || Number.isNaN(key.value)) continue;
        if (seen.has(key.value)) {
          const at = key.range?.[0];
          if (at !== undefined && (first === undefined || at < first)) first = at;
        } else seen.add(key.value);
      }
    },
  });
  return first;
}

/** The first YAML problem of a document (a repeated key or yaml's first error), as a message. */
function yamlProblem(doc: Document, counter: LineCounter): string | undefined {
  const dup = firstDuplicateKey(doc);
  const err = doc.errors[0];
  // yaml reports errors in document order; the duplicate key takes its place among them.
  if (dup !== undefined && (!err || dup < err.pos[0])) {
    return `line ${counter.linePos(dup).line}: invalid YAML: Map keys must be unique`;
  }
  if (err) {
    const line = counter.linePos(err.pos[0]).line;
    return `${line ? `line ${line}: ` : ''}invalid YAML: ${err.message.split('\n')[0]}`;
  }
  return undefined;
}

function lineOf(counter: LineCounter, node: Node | null | undefined, fallback: number): number {
  const offset = node?.range?.[0];
  return offset === undefined ? fallback : counter.linePos(offset).line || fallback;
}

/**
 * The objects of the text: each non-empty document, with a List replaced by its items.
 * `fromList` is true when any came out of a List.
 */
function sourcesOf(text: string, file: string): { sources: RangesSource[]; fromList: boolean } {
  const counter = new LineCounter();
  const docs = withPlainEnv(() =>
    parseAllDocuments(text, { prettyErrors: false, lineCounter: counter, uniqueKeys: false }),
  );
  const sources: RangesSource[] = [];
  let fromList = false;
  const several = docs.length > 1;
  docs.forEach((doc, i) => {
    const problem = yamlProblem(doc, counter);
    if (problem) throw new RangesFileError(file, [], problem);
    if (doc.contents === null) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      throw new RangesFileError(file, [], `cannot expand YAML aliases: ${(e as Error).message}`);
    }
    const where = `document ${i + 1}`;
    const line = lineOf(counter, doc.contents, 1);
    if (!isList(value)) {
      sources.push({ value, line, where });
      return;
    }
    fromList = true;
    const itemsNode = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
    const itemNodes = isSeq(itemsNode) ? itemsNode.items : [];
    value.items.forEach((item, j) => {
      sources.push({
        value: item,
        line: lineOf(counter, itemNodes[j] as Node | undefined, line),
        where: `item ${j + 1} of the ${value.kind}${several ? ` in ${where}` : ''}`,
      });
    });
  });
  return { sources, fromList };
}

/**
 * The warnings as lines; one message on many keys (a future field every reporter writes)
 * is one line, not one per node.
 */
export function formatRangesWarnings(label: string, warnings: readonly RangesWarning[]): string[] {
  const keysByMessage = new Map<string, string[]>();
  for (const w of warnings) {
    const keys = keysByMessage.get(w.message);
    if (keys) keys.push(w.key);
    else keysByMessage.set(w.message, [w.key]);
  }
  return [...keysByMessage].map(([message, keys]) => {
    const shown = keys.slice(0, 3).map((k) => JSON.stringify(k));
    const more = keys.length > 3 ? ` and ${keys.length - 3} more` : '';
    return `${label}: ${keys.length === 1 ? 'key' : 'keys'} ${shown.join(', ')}${more}: ${message}`;
  });
}

/** Parses ranges text; throws `RangesFileError` on any YAML or key error, or when no one object holds the ranges. */
export function readRangesText(text: string, file: string): LoadedRanges {
  const { sources, fromList } = sourcesOf(text, file);
  const picked = pickRangesData(sources, file, fromList);
  // Node entries carry their own labels, so whole entries never repeat, but their
  // (range, reserved ports) pairs do: a few profiles are built instead of one per node.
  const { ranges, errors, warnings } = parseNodeRanges(picked.data, picked.label, new EntryCache());
  if (errors.length > 0) throw new RangesFileError(picked.label, errors);
  const lines = formatRangesWarnings(picked.label, warnings);
  if (picked.skippedReports.length > 0) {
    const n = picked.skippedReports.length;
    lines.push(
      `${file}: left out ${n} node report object${n === 1 ? '' : 's'} (${picked.skippedReports.slice(0, 3).join(', ')}` +
        `${n > 3 ? ` and ${n - 3} more` : ''}): a ranges file is read as one ConfigMap; ` +
        'check --kubeconfig, or a file from portguard ranges export, includes what the nodes reported',
    );
  }
  return { ranges, warnings: lines };
}

/** `readRangesText` without the warnings, for callers that do not show them. */
export function parseRangesText(text: string, file: string): ClusterRanges {
  return readRangesText(text, file).ranges;
}

/** The loader's errors (size cap, binary input) as ranges errors, keeping their line. */
function asRangesError(err: unknown, name: string): RangesFileError {
  if (err instanceof RangesFileError) return err;
  if (err instanceof ManifestError) {
    return new RangesFileError(
      name,
      [],
      `${err.line !== undefined ? `line ${err.line}: ` : ''}${err.detail}`,
    );
  }
  return new RangesFileError(name, [], (err as Error).message);
}

async function readInput(file: string, opts: RangesInputOptions): Promise<Buffer> {
  if (file === '-') {
    if (!opts.readStdin) throw new RangesFileError(STDIN_NAME, [], 'stdin is not available');
    try {
      return await opts.readStdin();
    } catch (err) {
      throw asRangesError(err, STDIN_NAME);
    }
  }
  try {
    const path = resolve(opts.cwd ?? process.cwd(), file);
    const size = (await stat(path)).size;
    if (size > MAX_FILE_BYTES) throw new RangesFileError(file, [], `file is ${size} bytes, over the limit`);
    return await readFile(path);
  } catch (err) {
    if (err instanceof RangesFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new RangesFileError(
      file,
      [],
      `cannot read ranges file: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
    );
  }
}

/** Reads and parses a ranges file, or stdin for `-` (shown as `<stdin>`). */
export async function loadRanges(file: string, opts: RangesInputOptions = {}): Promise<LoadedRanges> {
  const buf = await readInput(file, opts);
  const name = file === '-' ? STDIN_NAME : file;
  let text: string;
  try {
    text = decodeText(buf, name);
  } catch (err) {
    throw asRangesError(err, name);
  }
  if (file === '-' && text.trim() === '') {
    // `kubectl get ... | portguard check --ranges -` after kubectl failed.
    throw new RangesFileError(name, [], 'stdin is empty; expected the node-ranges ConfigMap');
  }
  return readRangesText(text, name);
}

/** Reads and parses a ranges file (relative paths against `cwd`), without its warnings. */
export async function loadRangesFile(file: string, cwd = process.cwd()): Promise<ClusterRanges> {
  return (await loadRanges(file, { cwd })).ranges;
}
