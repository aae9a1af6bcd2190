/**
 * "Did you mean ...?" for names typed by hand (`portguard explain RULE`), the way commander
 * suggests commands: the closest names by edit distance, or the names that contain what was typed.
 */
import { editDistance } from '../core/suggest.js';

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
