/**
 * The ConfigMaps a pod under review reads, looked up for the webhook. Admission input is
 * untrusted, so everything here is bounded: names per request, cache entries and the size
 * of what is cached. A DaemonSet rollout reviews the same pod template over and over, so
 * answers are cached for a short TTL (a missing ConfigMap for a shorter one) and concurrent
 * reviews that need the same ConfigMap share one request. A lookup never fails: a
 * ConfigMap that could not be read is simply absent, and the core reports the script that
 * reads it as unknown (which the policy's `unknownNodeWrites` turns into warn or deny).
 * Logs name namespace, name and outcome only, never ConfigMap contents.
 */
import { type ConfigMapData, configMapKey } from '../core/configmap-inputs.js';
import type { ConfigMapReader, ReadOutcome } from './configmap-reader.js';
import { type Clock, ExpiringCache } from './expiring-cache.js';
import type { KubeLogger } from './logger.js';

export type LookupOutcome = 'hit' | 'found' | 'not_found' | 'error' | 'timeout';

export interface ConfigMapLookup {
  /** Data of those of `names` in `namespace` that could be read; resolves, never rejects. */
  lookup(namespace: string, names: readonly string[]): Promise<ConfigMapData>;
}

export interface ConfigMapLookupOptions {
  reader: ConfigMapReader;
  now: Clock;
  logger: KubeLogger;
  /** Counts each name looked up by how it was answered (for the metric). */
  count?: (outcome: LookupOutcome) => void;
  /** How long a ConfigMap read is reused. */
  ttlMs?: number;
  /** How long a 404 or 403 is reused: shorter, so a ConfigMap created next is seen soon. */
  negativeTtlMs?: number;
  maxEntries?: number;
  /** Names looked up per request; the rest stay unknown. */
  maxPerRequest?: number;
  /** A ConfigMap with more data than this (UTF-16 units) is used but not cached. */
  maxCachedChars?: number;
}

export const CONFIGMAP_LOOKUP_DEFAULTS = {
  ttlMs: 30_000,
  negativeTtlMs: 5_000,
  // 256 × 64 Ki chars keeps the cache near 32 MiB at worst, whatever pods reference.
  maxEntries: 256,
  maxCachedChars: 64 * 1024,
  maxPerRequest: 16,
} as const;

/** RFC 1123 subdomain (ConfigMap names) and label (namespaces): anything else cannot exist. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function validRef(namespace: string, name: string): boolean {
  return namespace.length <= 63 && LABEL.test(namespace) && name.length <= 253 && SUBDOMAIN.test(name);
}

/** Data of a ConfigMap, or null when the apiserver said it is missing or forbidden. */
type Cached = Readonly<Record<string, string>> | null;

function sizeOf(data: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(data)) n += k.length + v.length;
  return n;
}

export function createConfigMapLookup(opts: ConfigMapLookupOptions): ConfigMapLookup {
  const o = { ...CONFIGMAP_LOOKUP_DEFAULTS, ...opts };
  const cache = new ExpiringCache<Cached>(o.maxEntries, o.now, {
    maxEntrySize: o.maxCachedChars,
    sizeOf: (data) => (data ? sizeOf(data) : 0),
  });
  const inFlight = new Map<string, Promise<Cached | undefined>>();
  const count = opts.count ?? (() => {});

  function settle(namespace: string, name: string, key: string, r: ReadOutcome): Cached | undefined {
    count(r.outcome);
    const where = { namespace, name };
    switch (r.outcome) {
      case 'found':
        cache.set(key, r.data, o.ttlMs);
        opts.logger.debug({ ...where, keys: Object.keys(r.data).length }, 'configmap looked up');
        return r.data;
      case 'not_found':
        cache.set(key, null, o.negativeTtlMs);
        opts.logger.debug(where, 'configmap not found; scripts reading it stay unknown');
        return null;
      case 'timeout':
        opts.logger.warn(where, 'configmap lookup timed out; scripts reading it stay unknown');
        return undefined;
      case 'error':
        // 403 is the cluster's answer (RBAC not granted) and will not change soon; other
        // errors are transient and retried by the next review.
        if (r.status === 403) cache.set(key, null, o.negativeTtlMs);
        opts.logger.warn(
          { ...where, status: r.status, reason: r.reason },
          'configmap lookup failed; scripts reading it stay unknown',
        );
        return undefined;
    }
  }

  function one(namespace: string, name: string): Promise<Cached | undefined> {
    const key = configMapKey(namespace, name);
    const cached = cache.get(key);
    if (cached.found) {
      count('hit');
      return Promise.resolve(cached.value);
    }
    const pending = inFlight.get(key);
    if (pending) {
      count('hit');
      return pending;
    }
    const started = o.reader
      .read(namespace, name)
      .catch(
        (err: unknown): ReadOutcome => ({
          outcome: 'error',
          reason: err instanceof Error ? err.name : typeof err,
        }),
      )
      .then((r) => {
        inFlight.delete(key);
        return settle(namespace, name, key, r);
      });
    inFlight.set(key, started);
    return started;
  }

  return {
    async lookup(namespace, names) {
      const wanted = [...new Set(names)].filter((n) => validRef(namespace, n));
      const taken = wanted.slice(0, o.maxPerRequest);
      if (wanted.length > taken.length) {
        opts.logger.debug(
          { namespace, referenced: wanted.length, lookedUp: taken.length },
          'too many configmaps referenced; the rest stay unknown',
        );
      }
      const results = await Promise.all(taken.map((name) => one(namespace, name)));
      const out = new Map<string, Readonly<Record<string, string>>>();
      taken.forEach((name, i) => {
        const data = results[i];
        if (data) out.set(configMapKey(namespace, name), data);
      });
      return out;
    },
  };
}
