/**
 * Multi-document YAML (or JSON) text of untrusted input into plain values, one document at a
 * time, read the way kubectl reads it: YAML 1.1, and a document yaml rejects read again as
 * go-yaml would (yaml-compat.ts). What could hang or exhaust the reader is refused with a
 * `ManifestError` naming the file and line: alias bombs (aliases are counted per document)
 * and files built to need many re-reads (a budget of characters per text).
 */
import { Composer, type Document, LineCounter, type Node, Parser } from 'yaml';
import { ManifestError } from './manifest-error.js';
import { MAX_FILE_BYTES } from './text-input.js';
import { documentEnd, type ReadBudget, readAsGoYaml } from './yaml-compat.js';

/**
 * Aliases resolved per document. Real manifests use a handful of anchors; a billion
 * laughs document needs thousands, and yaml stops with an error past this count.
 */
export const MAX_ALIAS_COUNT = 100;

/**
 * The text of the document an object came from, kept so that a finding's path can be
 * mapped to the line of its key after the review (see src/cli/locate.ts) without keeping every
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

/** 1-based line and column in the file of an offset in the text a document was read from. */
export type PosOf = (offset: number) => { line: number; col: number };

/** The line in the file where `node` starts, or `fallback` when it has no position. */
export function lineOf(at: PosOf, node: Node | null | undefined, fallback: number): number {
  const offset = node?.range?.[0];
  return offset === undefined ? fallback : at(offset).line || 1;
}

/** One document, read. */
export interface YamlDocument {
  /** The document as plain values, aliases expanded. */
  value: unknown;
  /** Its node tree, for positions; garbage once the callback returns. */
  contents: Node | null;
  at: PosOf;
  /** 1-based line where the document starts. */
  line: number;
  source: DocumentSource;
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

/**
 * Reads every document of `text` in order and hands each to `each`, inside one
 * `withPlainEnv`; throws a `ManifestError` at the first document that cannot be read.
 */
export function forEachYamlDocument(text: string, file: string, each: (doc: YamlDocument) => void): void {
  const counter = new LineCounter();
  // YAML 1.1 because Kubernetes decodes with go-yaml v2 semantics: `hostNetwork: yes` is true there.
  const options = { lineCounter: counter, version: '1.1', prettyErrors: false } as const;
  // What parseAllDocuments does, one document at a time: each document's node tree is
  // garbage once converted, instead of all of them living until the last is composed
  // (less for the garbage collector to copy). The composer hands out a document only when
  // it is complete, errors included, so the first bad document is still the one reported.
  const docs = new Composer(options).compose(new Parser(counter.addNewLine).parse(text));
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
      each({ value, contents: doc.contents as Node | null, at, line, source });
    }
  });
}
