import { hash } from 'node:crypto';

/**
 * Small LRU cache. The same template script arrives once per pod, thousands of times, so
 * analyses are memoised by content hash rather than recomputed.
 */
export class LruCache<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  get size(): number {
    return this.map.size;
  }
}

/** Cache key for one analysis: a hash so that megabyte scripts do not live on as map keys. */
export function cacheKey(kind: string, payload: unknown): string {
  // One-shot hashing: a streaming Hash object costs as much again as hashing a 1 KiB script.
  return hash('sha256', `${kind}\0${JSON.stringify(payload)}`);
}
