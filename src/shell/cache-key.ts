/** Keys of the script analyzer's cache (src/shell/index.ts). */
import { hash } from 'node:crypto';

/** What a cache key is made of: strings, nulls and arrays of them. */
export type KeyPart = string | null | readonly KeyPart[];

/** Cache key for one analysis: a hash so that megabyte scripts do not live on as map keys. */
export function cacheKey(kind: string, payload: KeyPart): string {
  // One-shot hashing: a streaming Hash object costs as much again as hashing a 1 KiB script.
  return hash('sha256', `${kind}\0${encode(payload)}`);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * An unambiguous text for `v` (every piece is tagged and length-prefixed), without the cost of
 * JSON-escaping a script's quotes and newlines. The text is hashed as UTF-8, which maps a lone
 * surrogate to U+FFFD; strings with surrogates are JSON-escaped so they stay distinct.
 */
function encode(v: KeyPart): string {
  if (v === null) return 'n';
  if (typeof v === 'string') {
    if (!SURROGATE.test(v)) return `s${v.length}:${v}`;
    const json = JSON.stringify(v);
    return `j${json.length}:${json}`;
  }
  let out = `a${v.length}:`;
  for (const item of v) out += encode(item);
  return out;
}
