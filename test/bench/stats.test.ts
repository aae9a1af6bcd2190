/** The one percentile of the benchmarks and the soak run (bench/stats.ts). */
import { describe, expect, it } from 'vitest';
import { median, percentile, round, summarize } from '../../bench/stats.js';

describe('percentile', () => {
  it.each([
    // no samples: a defined "no figure", never 0 ms (the soak copy returned 0, bench NaN)
    [[], 50, Number.NaN],
    [[], 99, Number.NaN],
    [[7], 0, 7],
    [[7], 99, 7],
    [[1, 2, 3, 4], 0, 1],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 75, 3],
    [[1, 2, 3, 4], 99, 4],
    [[1, 2, 3, 4], 100, 4],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
    [Array.from({ length: 1000 }, (_, i) => i + 1), 99, 990],
  ])('%j at p%d → %d', (sorted, p, expected) => {
    expect(percentile(sorted, p)).toBe(expected);
  });

  it('reads a typed array as well', () => {
    expect(percentile(Float64Array.from([0.1, 0.2, 0.3]), 50)).toBe(0.2);
  });

  it('an empty sample set is NaN all through, which JSON writes as null', () => {
    const s = summarize([]);
    expect(s).toEqual({ count: 0, median: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN });
    expect(median([])).toBeNaN();
    expect(round(percentile([], 99))).toBeNaN();
    expect(JSON.parse(JSON.stringify({ p99Ms: percentile([], 99) }))).toEqual({ p99Ms: null });
  });
});
