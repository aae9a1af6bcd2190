/**
 * "Did you mean ...?" for names typed by hand (`portguard explain RULE`), the way commander
 * suggests commands: the closest names by edit distance, or the names that contain what was typed.
 */

/** Edit distance counting insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates closest to `typed` (a typo: at most a third of the typed length away), or,
 * when none is that close, those containing it (a fragment such as `hostport`). At most three.
 */
export function suggest(typed: string, candidates: readonly string[]): string[] {
  const t = typed.toLowerCase();
  if (t === '') return [];
  const limit = Math.max(1, Math.floor(t.length / 3));
  const scored = candidates.map((c) => ({ c, d: editDistance(t, c) })).filter((s) => s.d <= limit);
  if (scored.length > 0) {
    const best = Math.min(...scored.map((s) => s.d));
    return scored.filter((s) => s.d === best).map((s) => s.c);
  }
  return candidates.filter((c) => c.includes(t)).slice(0, 3);
}
