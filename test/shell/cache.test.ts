import { describe, expect, it } from 'vitest';
import { cacheKey, LruCache } from '../../src/shell/cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const c = new LruCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
  });

  it('stores nothing with capacity 0', () => {
    const c = new LruCache<number>(0);
    c.set('a', 1);
    expect(c.get('a')).toBeUndefined();
  });

  it('keys differ by kind and payload', () => {
    expect(cacheKey('script', ['x'])).not.toBe(cacheKey('container', ['x']));
    expect(cacheKey('script', ['x', []])).not.toBe(cacheKey('script', ['x', [['A', '1', null]]]));
    expect(cacheKey('script', ['x'])).toMatch(/^[0-9a-f]{64}$/);
  });
});
