/**
 * Loads the node-ranges file for `check` (and `serve --ranges`): either the ConfigMap
 * itself, as applied to the cluster, or just its `data` map. Any bad key is fatal here,
 * unlike in the server, because CI must not pass on ranges it only half understood.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Document, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { type ClusterRanges, EntryCache, parseNodeRanges } from '../core/node-ranges.js';
import { RangesFileError } from '../core/ranges-error.js';
import { decodeText, MAX_ALIAS_COUNT, MAX_FILE_BYTES, withPlainEnv } from './manifest-loader.js';

export { RangesFileError } from '../core/ranges-error.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Picks the data map out of parsed YAML: `kind: ConfigMap` (or a bare `data:` map) uses
 * `.data`; anything else is taken as the data map itself. Exported for tests and the server's file mode.
 */
export function rangesDataOf(doc: unknown, file: string): Record<string, unknown> {
  if (!isPlainObject(doc)) {
    throw new RangesFileError(file, [], 'expected a ConfigMap or a map of ConfigMap data keys');
  }
  if (doc.kind === 'ConfigMap') {
    if (doc.data === undefined || doc.data === null) return {};
    if (!isPlainObject(doc.data)) throw new RangesFileError(file, [], 'ConfigMap data must be a map');
    return doc.data;
  }
  // A ConfigMap fragment without kind (`data:` only) is common in hand-written files.
  if (doc.kind === undefined && isPlainObject(doc.data)) return doc.data;
  if (typeof doc.kind === 'string') {
    throw new RangesFileError(file, [], `expected a ConfigMap, found kind ${doc.kind}`);
  }
  return doc;
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

/** Parses ranges text; throws `RangesFileError` on any YAML or key error. */
export function parseRangesText(text: string, file: string): ClusterRanges {
  const counter = new LineCounter();
  const doc = withPlainEnv(() =>
    parseDocument(text, { prettyErrors: false, lineCounter: counter, uniqueKeys: false }),
  );
  const dup = firstDuplicateKey(doc);
  const err = doc.errors[0];
  // yaml reports errors in document order; the duplicate key takes its place among them.
  if (dup !== undefined && (!err || dup < err.pos[0])) {
    throw new RangesFileError(
      file,
      [],
      `line ${counter.linePos(dup).line}: invalid YAML: Map keys must be unique`,
    );
  }
  if (err) {
    const line = counter.linePos(err.pos[0]).line;
    throw new RangesFileError(
      file,
      [],
      `${line ? `line ${line}: ` : ''}invalid YAML: ${err.message.split('\n')[0]}`,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new RangesFileError(file, [], `cannot expand YAML aliases: ${(e as Error).message}`);
  }
  // Node entries carry their own labels, so whole entries never repeat, but their
  // (range, reserved ports) pairs do: a few profiles are built instead of one per node.
  const { ranges, errors } = parseNodeRanges(rangesDataOf(value, file), file, new EntryCache());
  if (errors.length > 0) throw new RangesFileError(file, errors);
  return ranges;
}

/** Reads and parses a ranges file (relative paths against `cwd`). */
export async function loadRangesFile(file: string, cwd = process.cwd()): Promise<ClusterRanges> {
  let buf: Buffer;
  try {
    const path = resolve(cwd, file);
    const size = (await stat(path)).size;
    if (size > MAX_FILE_BYTES) throw new RangesFileError(file, [], `file is ${size} bytes, over the limit`);
    buf = await readFile(path);
  } catch (err) {
    if (err instanceof RangesFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new RangesFileError(
      file,
      [],
      `cannot read ranges file: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
    );
  }
  let text: string;
  try {
    text = decodeText(buf, file);
  } catch (err) {
    throw new RangesFileError(file, [], (err as Error).message.replace(`${file}: `, ''));
  }
  return parseRangesText(text, file);
}
