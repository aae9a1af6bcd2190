import { describe, expect, it } from 'vitest';
import { ExpiringCache } from '../../src/kube/expiring-cache.js';

describe('ExpiringCache', () => {
  it.each([
    { after: 0, found: true },
    { after: 99, found: true },
    { after: 100, found: false },
    { after: 1_000, found: false },
  ])('an entry with a 100 ms TTL read $after ms later: found=$found', ({ after, found }) => {
    let now = 5_000;
    const cache = new ExpiringCache<string>(4, () => now);
    cache.set('k', 'v', 100);
    now += after;
    expect(cache.get('k')).toEqual(found ? { found: true, value: 'v' } : { found: false });
  });

  it('drops an expired entry when it is read, and keeps a null value as an entry', () => {
    let now = 0;
    const cache = new ExpiringCache<string | null>(4, () => now);
    cache.set('gone', 'v', 10);
    cache.set('missing', null, 50);
    now = 10;
    expect(cache.get('gone')).toEqual({ found: false });
    expect(cache.get('missing')).toEqual({ found: true, value: null });
    expect(cache.size).toBe(1);
  });

  it('is bounded like the LRU it wraps', () => {
    const cache = new ExpiringCache<number>(2, () => 0);
    for (const [i, k] of ['a', 'b', 'c'].entries()) cache.set(k, i, 1_000);
    expect(['a', 'b', 'c'].map((k) => cache.get(k).found)).toEqual([false, true, true]);
    expect(cache.size).toBe(2);
  });

  it('keeps values over the size limit out, and the count bound still holds', () => {
    const cache = new ExpiringCache<string | null>(2, () => 0, {
      maxEntrySize: 3,
      sizeOf: (v) => v?.length ?? 0,
    });
    cache.set('small', 'abc', 10);
    cache.set('big', 'abcd', 10);
    cache.set('none', null, 10);
    expect(cache.get('small')).toEqual({ found: true, value: 'abc' });
    expect(cache.get('big')).toEqual({ found: false });
    expect(cache.get('none')).toEqual({ found: true, value: null });
    expect(cache.size).toBe(2);
    cache.set('small', 'abcdef', 10);
    expect(cache.get('small')).toEqual({ found: false });
  });
});
