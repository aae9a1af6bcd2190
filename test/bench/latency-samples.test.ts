import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencySamples } from '../../bench/load.js';

describe('LatencySamples (bench latency percentiles at sub-millisecond resolution)', () => {
  it.each([
    // stats.ts's percentile: no samples, no figure (NaN, written as null), never a fake 0 ms
    { name: 'empty', values: [], p50: Number.NaN, p99: Number.NaN, max: Number.NaN },
    { name: 'one sample', values: [0.37], p50: 0.37, p99: 0.37, max: 0.37 },
    { name: 'sub-ms values stay fractional', values: [0.2, 0.4, 0.1, 0.3], p50: 0.2, p99: 0.4, max: 0.4 },
    {
      name: 'nearest rank of 100',
      values: Array.from({ length: 100 }, (_, i) => i + 1),
      p50: 50,
      p99: 99,
      max: 100,
    },
  ])('$name', ({ values, p50, p99, max }) => {
    const s = new LatencySamples();
    for (const v of values) s.add(v);
    expect(s.count).toBe(values.length);
    expect(s.percentile(50)).toBe(p50);
    expect(s.percentile(99)).toBe(p99);
    expect(s.max()).toBe(max);
  });

  it('grows past its initial capacity without losing samples', () => {
    const s = new LatencySamples();
    const n = (1 << 16) + 5;
    for (let i = 0; i < n; i++) s.add(i === n - 1 ? 9.5 : 0.5);
    expect(s.count).toBe(n);
    expect(s.max()).toBe(9.5);
    expect(s.percentile(50)).toBe(0.5);
  });

  it('percentiles are monotone, bounded by min and max, and unaffected by insertion order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 1000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        (xs) => {
          const a = new LatencySamples();
          const b = new LatencySamples();
          for (const x of xs) a.add(x);
          for (const x of [...xs].reverse()) b.add(x);
          const r = (x: number) => Math.round(x * 1000) / 1000;
          expect(a.percentile(50)).toBeLessThanOrEqual(a.percentile(99));
          expect(a.percentile(99)).toBeLessThanOrEqual(a.max());
          expect(a.max()).toBe(r(Math.max(...xs)));
          expect(a.percentile(0.0001)).toBe(r(Math.min(...xs)));
          expect(b.percentile(99)).toBe(a.percentile(99));
        },
      ),
    );
  });
});
