/**
 * "Did you mean" for misspelt keys in the administrator's files (policy, node ranges).
 * The measure is commander's, so the CLI's flag suggestions and these agree: optimal
 * string alignment (Damerau-Levenshtein where no substring is edited twice), at most two
 * edits, and more than 40% of the longer word unchanged. Case is ignored when measuring,
 * since `nodeportrange` for `nodePortRange` is one typo in the reader's eyes, not three.
 */

/** Edits a guess may be away from the word: three would turn `mode` into `node`'s cousins. */
const MAX_DISTANCE = 2;
const MIN_SIMILARITY = 0.4;

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of
 * two neighbours, each costing one. Stops early with `limit + 1` once the lengths alone
 * differ by more than `limit`.
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  // Three rows are enough: a swap looks back two rows.
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
    }
    [before, prev, row] = [prev, row, before];
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a typo
 * of it. Ties go to the earlier candidate, so callers list their candidates in the order
 * they would rather suggest.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const folded = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = MAX_DISTANCE + 1;
  for (const candidate of candidates) {
    if (candidate === word || candidate.length <= 1) continue;
    const distance = editDistance(folded, candidate.toLowerCase(), MAX_DISTANCE);
    const length = Math.max(word.length, candidate.length);
    if ((length - distance) / length > MIN_SIMILARITY && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `; did you mean "x"?` for a guess, else the empty string. */
export function guessText(guess: string | undefined): string {
  return guess === undefined ? '' : `; did you mean ${JSON.stringify(guess)}?`;
}

/** `; did you mean "x"?` when a candidate is close to `word`, else the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  return guessText(closest(word, candidates));
}
