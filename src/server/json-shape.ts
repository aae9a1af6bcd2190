/**
 * A pre-scan of a request body before JSON.parse. The body limit bounds bytes, but not what
 * JSON.parse builds from them: every `{}` becomes a heap object of about 64 bytes, so 8 MiB
 * of `[{},{},...]` is 2.8 million objects and 170 MiB of heap (the shipped heap is 192 MiB).
 * Objects and arrays are what cost; a scalar costs at most a few bytes per byte of input.
 * Counting them in one pass over the bytes, without building anything, lets a hostile
 * shape be refused before it is parsed.
 */

/**
 * Most objects and arrays a body may hold. The densest object a legal Pod spec is made of
 * is a named entry such as `{"name":"A"},` (13 bytes: env, ports, volumeMounts): a body at
 * BODY_LIMIT_BYTES of nothing else holds 645,000 of them, and two 3 MiB objects of env
 * entries (the largest UPDATE) about 484,000. 700,000 leaves that margin and caps the heap
 * the parse can build from containers at about 45 MiB.
 */
export const MAX_JSON_CONTAINERS = 700_000;

/**
 * Deepest nesting accepted: the apiserver decodes with Go's encoding/json, which refuses
 * anything deeper than 10,000 levels, so it never sends a deeper object.
 */
export const MAX_JSON_DEPTH = 10_000;

export interface JsonShapeLimits {
  maxContainers: number;
  maxDepth: number;
}

const DEFAULT_LIMITS: JsonShapeLimits = { maxContainers: MAX_JSON_CONTAINERS, maxDepth: MAX_JSON_DEPTH };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Why `body` is refused, or undefined when its shape is within the limits. It does not
 * validate: JSON.parse still does. Bytes inside strings are skipped (an escaped quote ends
 * no string), so brackets in a script never count.
 */
export function jsonShapeProblem(body: Buffer, limits: JsonShapeLimits = DEFAULT_LIMITS): string | undefined {
  // Each object, array and level of nesting takes at least one byte, so a body no longer than
  // both limits cannot exceed either: most reviews are a few KiB and skip the pass.
  if (body.length <= Math.min(limits.maxContainers, limits.maxDepth)) return undefined;
  let containers = 0;
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === QUOTE) {
      i = stringEnd(body, i);
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++containers > limits.maxContainers)
        return `request body has more than ${limits.maxContainers} JSON objects and arrays`;
      if (++depth > limits.maxDepth) return `request body nests JSON deeper than ${limits.maxDepth} levels`;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return undefined;
}

/** Index of the quote closing the string opened at `open`, or the last index when unclosed. */
function stringEnd(body: Buffer, open: number): number {
  for (let at = body.indexOf(QUOTE, open + 1); at !== -1; at = body.indexOf(QUOTE, at + 1)) {
    let slashes = 0;
    while (body[at - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
  }
  return body.length - 1;
}
