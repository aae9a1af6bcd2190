/**
 * Reads manifests for `check`: the files manifest-files.ts lists and stdin, as
 * multi-document YAML or JSON (src/input/yaml-input.ts), with `kind: List` expanded. Every
 * object keeps the file and 1-based line it starts on, so findings point back at the source.
 *
 * Input is untrusted (CI runs it on pull requests), so what could hang or exhaust the
 * reader (files over a size cap, binary files, alias bombs, symlink loops) becomes a
 * `ManifestError` naming the file (and line, where there is one).
 */
import { readFile, stat } from 'node:fs/promises';
import { isMap, isSeq, type Node } from 'yaml';
import { ManifestError } from '../input/manifest-error.js';
import { decodeText, MAX_FILE_BYTES, STDIN_NAME } from '../input/text-input.js';
import { type DocumentSource, forEachYamlDocument, lineOf, type PosOf } from '../input/yaml-input.js';
import { describeFsError, display, listManifestFiles } from './manifest-files.js';

/** A parsed object and where it came from. */
export interface LoadedObject {
  object: Record<string, unknown>;
  /** The path as given or found (relative to cwd when below it); `-` reads as `<stdin>`. */
  file: string;
  /** 1-based line where the document or list item starts. */
  line: number;
  source?: DocumentSource;
  /** Where the object sits in its document: '' for the document itself, `items[2]` for a List item. */
  at?: string;
}

export interface LoaderOptions {
  maxFileBytes?: number;
  /** Reads all of stdin; injected so tests and the benchmark need no real stdin. */
  readStdin?: () => Promise<Buffer>;
  cwd?: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A `kind: List` (or `ServiceList`, as `kubectl get -o yaml` prints) with an items array. */
function isList(object: Record<string, unknown>): boolean {
  return typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items);
}

/** Pushes the object, or its items (recursively) when it is a List. */
function collect(
  value: unknown,
  node: Node | null | undefined,
  at: PosOf,
  place: { file: string; line: number; source: DocumentSource; at: string },
  out: LoadedObject[],
): void {
  if (!isPlainObject(value)) return;
  if (!isList(value)) {
    if (typeof value.kind === 'string') out.push({ object: value, ...place });
    return;
  }
  const itemsNode = isMap(node) ? node.get('items', true) : undefined;
  const itemNodes = isSeq(itemsNode) ? itemsNode.items : [];
  (value.items as unknown[]).forEach((item, i) => {
    const itemNode = itemNodes[i] as Node | undefined;
    const line = lineOf(at, itemNode, place.line);
    collect(item, itemNode, at, { ...place, line, at: `${place.at ? `${place.at}.` : ''}items[${i}]` }, out);
  });
}

/** Parses one text (a file or stdin) into objects; pure apart from the error it throws. */
export function parseManifests(text: string, file: string): LoadedObject[] {
  const out: LoadedObject[] = [];
  forEachYamlDocument(text, file, (doc) =>
    collect(doc.value, doc.contents, doc.at, { file, line: doc.line, source: doc.source, at: '' }, out),
  );
  return out;
}

/**
 * Reads and parses one listed file (`name` is how messages show it). Shared by the
 * sequential loader and the worker threads of parallel-load.ts, so both read alike.
 */
export async function loadManifestFile(
  file: string,
  name: string,
  maxBytes: number,
): Promise<LoadedObject[]> {
  let buf: Buffer;
  try {
    // Check the size before reading, so a 50 GiB file is refused without touching it.
    const size = (await stat(file)).size;
    if (size > maxBytes) {
      throw new ManifestError(name, undefined, `file is ${size} bytes, over the ${maxBytes}-byte limit`);
    }
    buf = await readFile(file);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    throw new ManifestError(name, undefined, `cannot read file: ${describeFsError(err)}`);
  }
  return parseManifests(decodeText(buf, name, maxBytes), name);
}

/** What a load gives: the objects of every file read, and an error for each file that was not. */
export interface Loaded {
  objects: LoadedObject[];
  /** In listing order: paths that could not be listed first, then files that could not be read. */
  errors: ManifestError[];
}

/**
 * Reads and parses every file. A bad file (unreadable, invalid YAML, too large) is an error
 * and contributes no objects; the others are still read, so one bad file costs neither the
 * rest of the run nor its report (bad input is still exit 2).
 */
export async function loadManifests(paths: string[], opts: LoaderOptions = {}): Promise<Loaded> {
  const cwd = opts.cwd ?? process.cwd();
  const listing = await listManifestFiles(paths, cwd);
  const loaded = await loadListedFiles(listing.files, opts);
  return { objects: loaded.objects, errors: [...listing.errors, ...loaded.errors] };
}

/** Reads one listed file, or `-` from stdin. */
async function loadListedFile(file: string, opts: LoaderOptions, maxBytes: number): Promise<LoadedObject[]> {
  if (file !== '-') return loadManifestFile(file, display(file, opts.cwd ?? process.cwd()), maxBytes);
  if (!opts.readStdin) throw new ManifestError(STDIN_NAME, undefined, 'stdin is not available');
  const buf = await opts.readStdin();
  return parseManifests(decodeText(buf, STDIN_NAME, maxBytes), STDIN_NAME);
}

/** `loadManifests` after the listing step, for callers that listed the files already. */
export async function loadListedFiles(files: string[], opts: LoaderOptions = {}): Promise<Loaded> {
  const maxBytes = opts.maxFileBytes ?? MAX_FILE_BYTES;
  const out: Loaded = { objects: [], errors: [] };
  for (const file of files) {
    try {
      for (const o of await loadListedFile(file, opts, maxBytes)) out.objects.push(o);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      out.errors.push(err);
    }
  }
  return out;
}
