/**
 * The LRU of src/shell/cache.ts with a time to live per entry, for answers from the
 * apiserver that go stale. Time comes from an injected clock so tests move it by hand;
 * an expired entry is dropped when read, and the LRU bound caps what is never read again.
 */
import { LruCache } from '../shell/cache.js';

/** Milliseconds on a monotonic clock (serve passes performance.now). */
export type Clock = () => number;

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class ExpiringCache<V> {
  private readonly lru: LruCache<Entry<V>>;

  constructor(
    capacity: number,
    private readonly now: Clock,
  ) {
    this.lru = new LruCache(capacity);
  }

  /** The live entry for `key`; `found: false` when absent or expired. */
  get(key: string): { found: true; value: V } | { found: false } {
    const entry = this.lru.get(key);
    if (!entry) return { found: false };
    if (this.now() >= entry.expiresAt) {
      this.lru.delete(key);
      return { found: false };
    }
    return { found: true, value: entry.value };
  }

  set(key: string, value: V, ttlMs: number): void {
    this.lru.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  get size(): number {
    return this.lru.size;
  }
}
