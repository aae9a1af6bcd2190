/**
 * Reads manifests for `check`: files, directories (recursive), and stdin, as
 * multi-document YAML or JSON, with `kind: List` expanded. Every object keeps the file
 * and 1-based line it starts on, so findings point back at the source.
 *
 * Input is untrusted (CI runs it on pull requests), so the loader refuses what could
 * hang or exhaust it: files over a size cap, binary files, alias bombs and symlink
 * loops all become a `ManifestError` naming the file (and line, where there is one).
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { Composer, type Document, isMap, isSeq, LineCounter, type Node, Parser } from 'yaml';
import { documentEnd, type ReadBudget, readAsGoYaml } from './yaml-compat.js';

/**
 * The text of the document an object came from, kept so that a finding's path can be
 * mapped to the line of its key after the review (see locate.ts) without keeping every
 * document's node tree alive. Shared by the objects of one document (the items of a List),
 * which a worker thread's message then carries once.
 */
export interface DocumentSource {
  /** The document's text as read (with the spaces yaml-compat.ts inserted, if any). */
  text: string;
  /** 1-based line and 0-based column in the file where `text` starts. */
  line: number;
  column: number;
  /** Spaces inserted at the start of lines: [0-based line index in `text`, count]. */
  pads?: [number, number][];
}

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

/** Bad input: the message names the file, and the line when the problem has one. */
export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    /** The message without the file and line (a worker sends these across). */
    readonly detail: string,
    /** 1-based column, when known (YAML syntax errors). */
    readonly column?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`);
  }
}

/**
 * 32 MiB: far above any real manifest bundle (the apiserver caps one object at ~3 MiB)
 * yet small enough that a stray log or image in the tree fails fast instead of eating
 * memory while YAML builds its node tree (roughly 10x the text size).
 */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/**
 * Aliases resolved per document. Real manifests use a handful of anchors; a billion
 * laughs document needs thousands, and yaml stops with an error past this count.
 */
export const MAX_ALIAS_COUNT = 100;

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
export const STDIN_NAME = '<stdin>';

export interface LoaderOptions {
  maxFileBytes?: number;
  /** Reads all of stdin; injected so tests and the benchmark need no real stdin. */
  readStdin?: () => Promise<Buffer>;
  cwd?: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes strictly: a NUL byte or invalid UTF-8 means this is not a manifest. */
export function decodeText(buf: Buffer, file: string, maxBytes = MAX_FILE_BYTES): string {
  if (buf.length > maxBytes) {
    throw new ManifestError(file, undefined, `file is ${buf.length} bytes, over the ${maxBytes}-byte limit`);
  }
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const line = buf.subarray(0, nul).toString('latin1').split('\n').length;
    throw new ManifestError(file, line, 'binary file (contains a NUL byte); expected YAML or JSON text');
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    throw new ManifestError(file, undefined, 'binary file (not valid UTF-8); expected YAML or JSON text');
  }
}

/** A `kind: List` (or `ServiceList`, as `kubectl get -o yaml` prints) with an items array. */
function isList(object: Record<string, unknown>): boolean {
  return typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items);
}

/** 1-based line and column in the file of an offset in the text a document was read from. */
type PosOf = (offset: number) => { line: number; col: number };

function lineOf(at: PosOf, node: Node | null | undefined, fallback: number): number {
  const offset = node?.range?.[0];
  return offset === undefined ? fallback : at(offset).line || 1;
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

/**
 * Runs a synchronous yaml parse with a plain copy of `process.env` in place. yaml's
 * Parser reads `process.env.LOG_TOKENS` for every token, and `process.env` is backed by
 * the C++ environment, so each read crosses into native code: measured, about half of all
 * parsing time on the 12 MB benchmark tree. Nothing else runs while `parse` does, so
 * nothing else can see the copy, and the original is back before this returns or throws.
 */
export function withPlainEnv<T>(parse: () => T): T {
  const env = process.env;
  process.env = { ...env };
  try {
    return parse();
  } finally {
    process.env = env;
  }
}

/**
 * Characters that re-reading documents as go-yaml would (yaml-compat.ts) may parse per file:
 * twice the file size limit, so a file built to need many re-reads costs a few parses, not
 * one per scalar.
 */
const MAX_REREAD_CHARS = 2 * MAX_FILE_BYTES;

/** A document ready to convert: its node tree, how its offsets map to the file, its text. */
interface ReadDocument {
  doc: Document.Parsed;
  at: PosOf;
  source: DocumentSource;
}

function invalidYaml(file: string, doc: Document.Parsed, at: PosOf): ManifestError {
  const err = doc.errors[0]!;
  const { line, col } = at(err.pos[0]);
  return new ManifestError(file, line || undefined, `invalid YAML: ${err.message.split('\n')[0]}`, col);
}

/**
 * A document yaml found errors in, read again as go-yaml reads it (yaml-compat.ts). yaml
 * may have made several documents of it; kubectl's ends at the next `---` line, and its
 * text runs to there. Throws the error that remains.
 */
function rereadDocument(
  text: string,
  composed: Document.Parsed,
  counter: LineCounter,
  budget: ReadBudget,
  file: string,
): ReadDocument & { end: number } {
  const start = composed.range[0];
  const end = Math.max(documentEnd(text, start), composed.range[2]);
  const compat = readAsGoYaml(text.slice(start, end), { version: '1.1' }, budget);
  if (!compat) throw invalidYaml(file, composed, counter.linePos);
  const from = counter.linePos(start);
  const pads = new Map(compat.pads);
  // Lines are those of the file; a padded line's columns move by what was inserted.
  const at: PosOf = (offset) => {
    const { line, col } = compat.lineCounter.linePos(offset);
    const shift = (line === 1 ? from.col - 1 : 0) - (pads.get(line - 1) ?? 0);
    return { line: from.line + line - 1, col: col + shift };
  };
  if (compat.doc.errors.length > 0) throw invalidYaml(file, compat.doc, at);
  const source: DocumentSource = {
    text: compat.text,
    line: from.line,
    column: from.col - 1,
    ...(pads.size > 0 ? { pads: compat.pads } : {}),
  };
  return { doc: compat.doc, at, source, end };
}

/** Parses one text (a file or stdin) into objects; pure apart from the error it throws. */
export function parseManifests(text: string, file: string): LoadedObject[] {
  const counter = new LineCounter();
  // YAML 1.1 because Kubernetes decodes with go-yaml v2 semantics: `hostNetwork: yes` is true there.
  const options = { lineCounter: counter, version: '1.1', prettyErrors: false } as const;
  // What parseAllDocuments does, one document at a time: each document's node tree is
  // garbage once converted, instead of all of them living until the last is composed
  // (less for the garbage collector to copy). The composer hands out a document only when
  // it is complete, errors included, so the first bad document is still the one reported.
  const docs = new Composer(options).compose(new Parser(counter.addNewLine).parse(text));
  const out: LoadedObject[] = [];
  const budget: ReadBudget = { chars: MAX_REREAD_CHARS };
  /** The end of the last document read again: what yaml split off it is read already. */
  let rereadTo = 0;
  withPlainEnv(() => {
    for (const composed of docs) {
      const [start, , end] = composed.range;
      if (start < rereadTo) {
        if (end <= rereadTo) continue;
        throw invalidYaml(file, composed, counter.linePos);
      }
      let read: ReadDocument;
      if (composed.errors.length === 0) {
        const from = counter.linePos(start);
        const source = { text: text.slice(start, end), line: from.line, column: from.col - 1 };
        read = { doc: composed, at: counter.linePos, source };
      } else {
        const again = rereadDocument(text, composed, counter, budget, file);
        rereadTo = again.end;
        read = again;
      }
      const { doc, at, source } = read;
      const line = lineOf(at, doc.contents, lineOf(at, doc as unknown as Node, 1));
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (e) {
        // yaml throws a ReferenceError for excessive aliases (billion laughs) and bad anchors.
        throw new ManifestError(file, line, `cannot expand YAML aliases: ${(e as Error).message}`);
      }
      collect(value, doc.contents as Node | null, at, { file, line, source, at: '' }, out);
    }
  });
  return out;
}

function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'symlink loop (too many levels of symbolic links)';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e.message ?? String(err);
  }
}

interface Walk {
  files: string[];
  /** Paths that could not be listed; the walk goes on past them. */
  errors: ManifestError[];
  /** Real paths of files already queued, so a file reached twice through links loads once. */
  seenFiles: Set<string>;
  cwd: string;
}

/** How a path is shown in messages and reports: relative to `cwd` when below it. */
export function display(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : path;
}

/**
 * Walks a directory depth-first in sorted order. `ancestors` holds the real paths of
 * the directories on the current path: a link back to one of them is a loop, an error;
 * a link to a directory elsewhere is followed, and files reached twice load once. An
 * entry that cannot be read is an error, and the walk goes on with the next.
 */
async function walkDir(dir: string, ancestors: Set<string>, walk: Walk): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    walk.errors.push(
      new ManifestError(display(dir, walk.cwd), undefined, `cannot read directory: ${describeFsError(err)}`),
    );
    return;
  }
  for (const name of entries) {
    // Dot entries (.git, .github, editor state) never hold manifests and can be huge.
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    let info: Awaited<ReturnType<typeof stat>>;
    let realPath: string;
    try {
      info = await stat(path);
      realPath = await realpath(path);
    } catch (err) {
      walk.errors.push(new ManifestError(display(path, walk.cwd), undefined, describeFsError(err)));
      continue;
    }
    if (info.isDirectory()) {
      if (ancestors.has(realPath)) {
        walk.errors.push(
          new ManifestError(
            display(path, walk.cwd),
            undefined,
            `symlink loop: points back to ${display(realPath, walk.cwd)}, which contains it`,
          ),
        );
        continue;
      }
      ancestors.add(realPath);
      await walkDir(path, ancestors, walk);
      ancestors.delete(realPath);
    } else if (info.isFile() && hasManifestExtension(name) && !walk.seenFiles.has(realPath)) {
      walk.seenFiles.add(realPath);
      walk.files.push(path);
    }
  }
}

/** Files to read, in a stable order, and the paths that could not be listed. */
export interface Listing {
  files: string[];
  errors: ManifestError[];
}

/** Expands the PATH arguments into the list of files to read, in a stable order. */
export async function listManifestFiles(paths: string[], cwd = process.cwd()): Promise<Listing> {
  const walk: Walk = { files: [], errors: [], seenFiles: new Set(), cwd };
  for (const p of paths) {
    if (p === '-') {
      walk.files.push('-');
      continue;
    }
    const abs = resolve(cwd, p);
    let info: Awaited<ReturnType<typeof stat>>;
    let real: string;
    try {
      info = await stat(abs);
      real = await realpath(abs);
    } catch (err) {
      walk.errors.push(new ManifestError(p, undefined, describeFsError(err)));
      continue;
    }
    if (info.isDirectory()) {
      await walkDir(abs, new Set([real]), walk);
    } else if (!walk.seenFiles.has(real)) {
      // A file named explicitly is read whatever its extension.
      walk.seenFiles.add(real);
      walk.files.push(abs);
    }
  }
  return { files: walk.files, errors: walk.errors };
}

/**
 * Reads a stream up to `maxBytes`; stops early past the cap so `yes | portguard check -`
 * cannot fill memory.
 */
export async function readLimited(
  stream: AsyncIterable<Buffer | string>,
  maxBytes = MAX_FILE_BYTES,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buf.length;
    if (total > maxBytes) {
      throw new ManifestError(STDIN_NAME, undefined, `input is over the ${maxBytes}-byte limit`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
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
