/**
 * An LRU (lru-cache) with a time to live per entry, for answers from the apiserver that go
 * stale. Time comes from an injected clock so tests move it by hand; an expired entry is
 * dropped when read, and the count bound caps what is never read again. An optional size
 * function keeps entries over `maxEntrySize` out of the cache.
 *
 * Expiry is checked here rather than with lru-cache's own `ttl`: that treats an entry stored
 * at clock time 0 as having no TTL, counts an entry exactly `ttl` old as fresh, and caches
 * clock reads behind a real timer, none of which a hand-moved clock tolerates.
 */
import { LRUCache } from 'lru-cache';

/** Milliseconds on a monotonic clock (serve passes performance.now). */
export type Clock = () => number;

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export interface EntrySizeLimit<V> {
  /** Largest size kept; a larger value is not cached, and drops what was cached under its key. */
  maxEntrySize: number;
  sizeOf: (value: V) => number;
}

export class ExpiringCache<V> {
  private readonly lru: LRUCache<string, Entry<V>>;

  constructor(
    capacity: number,
    private readonly now: Clock,
    limit?: EntrySizeLimit<V>,
  ) {
    this.lru = new LRUCache<string, Entry<V>>({
      max: capacity,
      ...(limit
        ? {
            maxEntrySize: limit.maxEntrySize,
            // lru-cache wants a positive integer; an empty value still takes a slot.
            sizeCalculation: (e: Entry<V>) => Math.max(1, Math.ceil(limit.sizeOf(e.value))),
          }
        : {}),
    });
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
