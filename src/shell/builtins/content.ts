import type { Stream } from '../stream.js';
import type { BuiltinHost } from './host.js';

/**
 * A file's content as a stream, when it is one known piece. A file built from several pieces
 * (`>>` appends) has no single line origin, so readers treat it as unknown.
 */
export function contentStream(host: BuiltinHost, path: string | null): Stream | null {
  const chunks = path === null ? undefined : host.readFile(path);
  if (chunks?.length !== 1) return null;
  const only = chunks[0]!;
  return { value: only.content, line: only.line, perLine: only.perLine };
}
