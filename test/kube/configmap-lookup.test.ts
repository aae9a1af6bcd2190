/**
 * The webhook's ConfigMap lookup against a real HTTP apiserver: what each answer becomes,
 * the cache (TTL on a fake clock, negative entries, size bounds), shared in-flight reads,
 * the per-request cap, and a hung apiserver.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONFIGMAP_LOOKUP_DEFAULTS,
  type ConfigMapLookupOptions,
  createConfigMapLookup,
  type LookupOutcome,
} from '../../src/kube/configmap-lookup.js';
import { createConfigMapReader } from '../../src/kube/configmap-reader.js';
import {
  type ListWatchServer,
  recordingLogger,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';

const NS = 'node-tuning';
const SECRETISH = 'net.ipv4.ip_local_port_range=1024 65535';

function configMap(name: string, data: Record<string, string>, namespace = NS) {
  return { metadata: { name, namespace }, data };
}

let server: ListWatchServer;
let now: number;

beforeEach(async () => {
  server = await startListWatchServer({
    seed: { configmaps: [configMap('tuning', { s1: SECRETISH }), configMap('other', { k: 'v' })] },
  });
  now = 1_000;
});

afterEach(async () => {
  server.resumeRequests();
  await server.close();
});

/** A lookup on the test server with the fake clock; timeoutMs is the per-read cut-off. */
function lookupWith(opts: Partial<ConfigMapLookupOptions> & { timeoutMs?: number } = {}) {
  const logger = recordingLogger();
  const outcomes: LookupOutcome[] = [];
  const lookup = createConfigMapLookup({
    reader: createConfigMapReader(server.kubeConfig(), opts.timeoutMs ?? 5_000),
    now: () => now,
    logger,
    count: (o) => outcomes.push(o),
    ...opts,
  });
  return { lookup, logger, outcomes };
}

/** GETs of one ConfigMap the server has seen. */
function gets(name: string, namespace = NS): number {
  return server.requests.filter(
    (r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${namespace}/configmaps/${name}`,
  ).length;
}

function asObject(data: ReadonlyMap<string, unknown>) {
  return Object.fromEntries(data);
}

describe('what each apiserver answer becomes', () => {
  it.each([
    {
      answer: '200',
      prepare: () => {},
      name: 'tuning',
      result: { [`${NS}/tuning`]: { s1: SECRETISH } },
      outcome: 'found',
      level: 'debug',
    },
    { answer: '404', prepare: () => {}, name: 'missing', result: {}, outcome: 'not_found', level: 'debug' },
    {
      answer: '403',
      prepare: () => server.failRequests('configmaps', 1, 403),
      name: 'tuning',
      result: {},
      outcome: 'error',
      level: 'warn',
    },
    {
      answer: '500',
      prepare: () => server.failRequests('configmaps', 1, 500),
      name: 'tuning',
      result: {},
      outcome: 'error',
      level: 'warn',
    },
  ])(
    '$answer → $outcome, logged at $level without the data',
    async ({ prepare, name, result, outcome, level }) => {
      prepare();
      const { lookup, logger, outcomes } = lookupWith();
      expect(asObject(await lookup.lookup(NS, [name]))).toEqual(result);
      expect(outcomes).toEqual([outcome]);
      expect(logger.records.map((r) => [r.level, r.obj.namespace, r.obj.name])).toEqual([[level, NS, name]]);
      expect(JSON.stringify(logger.records)).not.toContain('1024');
    },
  );

  it('a network error leaves the ConfigMap absent', async () => {
    const { lookup, outcomes } = lookupWith();
    await server.close();
    expect(asObject(await lookup.lookup(NS, ['tuning']))).toEqual({});
    expect(outcomes).toEqual(['error']);
  });
});

describe('an apiserver that never answers', () => {
  it('times out: the lookup resolves without the ConfigMap, and the next review asks again', async () => {
    server.stallRequests('configmaps');
    // Reads are cut after 50 ms while the server hangs; the read after it answers again gets
    // the usual 5 s, so its answer does not depend on the machine's load.
    let reader = createConfigMapReader(server.kubeConfig(), 50);
    const { lookup, outcomes, logger } = lookupWith({
      reader: { read: (ns, name) => reader.read(ns, name) },
    });
    expect(asObject(await lookup.lookup(NS, ['tuning', 'other']))).toEqual({});
    expect(outcomes).toEqual(['timeout', 'timeout']);
    expect(logger.records.filter((r) => r.level === 'warn')).toHaveLength(2);
    server.resumeRequests();
    reader = createConfigMapReader(server.kubeConfig(), 5_000);
    // Whether a read cut after 50 ms had reached the server depends on the machine's load, so
    // "asks again" is counted from here: one more read, answered by the server, not the cache.
    const asked = gets('tuning');
    expect(asObject(await lookup.lookup(NS, ['tuning']))).toEqual({ [`${NS}/tuning`]: { s1: SECRETISH } });
    expect(outcomes).toEqual(['timeout', 'timeout', 'found']);
    expect(gets('tuning')).toBeGreaterThan(asked);
  });
});

describe('cache', () => {
  it('answers from the cache within the TTL and reads again after it', async () => {
    const { lookup, outcomes } = lookupWith({ ttlMs: 30_000 });
    await lookup.lookup(NS, ['tuning']);
    server.emit('configmaps', 'MODIFIED', configMap('tuning', { s1: 'changed' }));
    now += 29_999;
    expect(asObject(await lookup.lookup(NS, ['tuning']))).toEqual({ [`${NS}/tuning`]: { s1: SECRETISH } });
    expect(gets('tuning')).toBe(1);
    now += 1;
    expect(asObject(await lookup.lookup(NS, ['tuning']))).toEqual({ [`${NS}/tuning`]: { s1: 'changed' } });
    expect(gets('tuning')).toBe(2);
    expect(outcomes).toEqual(['found', 'hit', 'found']);
  });

  it.each([
    { answer: '404', status: undefined },
    { answer: '403', status: 403 },
  ])('a $answer is cached for the shorter negative TTL', async ({ status }) => {
    if (status) server.failRequests('configmaps', 1, status);
    const name = status ? 'tuning' : 'late';
    const { lookup, outcomes } = lookupWith({ ttlMs: 30_000, negativeTtlMs: 5_000 });
    await lookup.lookup(NS, [name]);
    if (!status) server.emit('configmaps', 'ADDED', configMap('late', { s1: SECRETISH }));
    now += 4_999;
    expect(asObject(await lookup.lookup(NS, [name]))).toEqual({});
    now += 1;
    expect(asObject(await lookup.lookup(NS, [name]))).toEqual({ [`${NS}/${name}`]: { s1: SECRETISH } });
    expect(gets(name)).toBe(2);
    expect(outcomes).toEqual([status ? 'error' : 'not_found', 'hit', 'found']);
  });

  it('a 5xx is not cached: the next review reads again', async () => {
    server.failRequests('configmaps', 1, 503);
    const { lookup } = lookupWith();
    expect(asObject(await lookup.lookup(NS, ['tuning']))).toEqual({});
    expect(asObject(await lookup.lookup(NS, ['tuning']))).toEqual({ [`${NS}/tuning`]: { s1: SECRETISH } });
    expect(gets('tuning')).toBe(2);
  });

  it('holds at most maxEntries ConfigMaps, evicting the least recently used', async () => {
    const { lookup } = lookupWith({ maxEntries: 2 });
    for (const name of ['tuning', 'other', 'a-missing']) await lookup.lookup(NS, [name]);
    await lookup.lookup(NS, ['a-missing', 'other']);
    expect([gets('tuning'), gets('other'), gets('a-missing')]).toEqual([1, 1, 1]);
    await lookup.lookup(NS, ['tuning']);
    expect(gets('tuning')).toBe(2);
  });

  it('uses but does not cache a ConfigMap larger than maxCachedChars', async () => {
    server.emit('configmaps', 'ADDED', configMap('big', { 'tune.sh': 'x'.repeat(200) }));
    const { lookup } = lookupWith({ maxCachedChars: 100 });
    for (let i = 0; i < 2; i++) {
      expect((await lookup.lookup(NS, ['big'])).get(`${NS}/big`)?.['tune.sh']).toHaveLength(200);
    }
    expect(gets('big')).toBe(2);
  });
});

describe('one request per ConfigMap', () => {
  it('concurrent reviews that need the same ConfigMap share one in-flight read', async () => {
    server.stallRequests('configmaps');
    const { lookup, outcomes } = lookupWith();
    const first = lookup.lookup(NS, ['tuning']);
    await waitFor(() => server.stalledCount === 1, 10_000, 'the first read to reach the server');
    const second = lookup.lookup(NS, ['tuning', 'tuning']);
    server.resumeRequests();
    const want = { [`${NS}/tuning`]: { s1: SECRETISH } };
    expect((await Promise.all([first, second])).map(asObject)).toEqual([want, want]);
    expect(gets('tuning')).toBe(1);
    // The join is counted when it joins, the read when it settles.
    expect(outcomes).toEqual(['hit', 'found']);
  });

  it('reads the names of one review in parallel', async () => {
    server.stallRequests('configmaps');
    const { lookup } = lookupWith();
    const pending = lookup.lookup(NS, ['tuning', 'other']);
    await waitFor(() => server.stalledCount === 2, 10_000, 'both reads to be in flight at once');
    server.resumeRequests();
    expect([...(await pending).keys()]).toEqual([`${NS}/tuning`, `${NS}/other`]);
  });
});

describe('bounds on untrusted input', () => {
  it('looks up at most maxPerRequest names; the rest stay unknown', async () => {
    const names = Array.from({ length: CONFIGMAP_LOOKUP_DEFAULTS.maxPerRequest + 4 }, (_, i) => `cm-${i}`);
    const { lookup } = lookupWith();
    await lookup.lookup(NS, names);
    const asked = server.requests
      .filter((r) => r.path.includes('/configmaps/'))
      .map((r) => r.path.split('/').pop());
    expect(asked.sort()).toEqual(names.slice(0, CONFIGMAP_LOOKUP_DEFAULTS.maxPerRequest).sort());
  });

  it.each([
    ['a name that cannot exist', NS, 'Bad_Name'],
    ['a path in the name', NS, '../secrets/x'],
    ['a bad namespace', 'Kube System', 'tuning'],
  ])('%s is never sent to the apiserver', async (_what, namespace, name) => {
    const { lookup } = lookupWith();
    expect((await lookup.lookup(namespace, [name])).size).toBe(0);
    expect(server.requests).toHaveLength(0);
  });
});
