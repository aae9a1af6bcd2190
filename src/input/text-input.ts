/**
 * Bytes of untrusted input into text, refusing what could exhaust the reader before any
 * YAML is parsed: input over a size cap, and binary files.
 */
import { ManifestError } from './manifest-error.js';

/**
 * 32 MiB: far above any real manifest bundle (the apiserver caps one object at ~3 MiB)
 * yet small enough that a stray log or image in the tree fails fast instead of eating
 * memory while YAML builds its node tree (roughly 10x the text size).
 */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** How stdin (`-`) is named in messages and reports. */
export const STDIN_NAME = '<stdin>';

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
