/**
 * Faults in live cluster state, end to end: the real HTTPS server answers reviews from
 * informers fed by the local list/watch test server while watches break, history
 * expires (410 Gone), the ranges ConfigMap turns hostile or is deleted. The server must
 * keep serving, keep the last good data, say what happened in /readyz and /metrics, and
 * never answer from a half-applied state.
 */
import { rm } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { type ClusterStateSource, startClusterStateSource } from '../../src/kube/cluster-state-source.js';
import { applyConfigMap } from '../../src/kube/ranges-model.js';
import { createMetrics, type Metrics } from '../../src/server/metrics.js';
import { type ServerHandle, startServer } from '../../src/server/serve.js';
import { loadFixture, recordingLogger, sharedReviewer } from '../server/helpers.js';
import {
  recordingLogger as kubeLogger,
  type ListWatchServer,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';
import { type Json, sleep, tempCertificates } from './helpers.js';

const NS = 'portguard-system';
const CM = 'portguard-node-ranges';

const GOOD = {
  nodePortRange: '30000-32767',
  default: '{"ipLocalPortRange": "32768 60999"}',
  'node.worker-1': '{"ipLocalPortRange": "1024 65535"}',
  'node.worker-2': '{"ipLocalPortRange": "32768 60999"}',
};

const configMap = (data: Record<string, unknown>) => ({ metadata: { name: CM, namespace: NS }, data });
const node = (name: string) => ({ metadata: { name, labels: { pool: 'general' } } });
const service = (name: string, nodePort: number) => ({
  metadata: { name, namespace: 'apps' },
  spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort }] },
});

/** A hostNetwork pod binding 30080 on worker-2, the nodePort Service "web" holds: always a collision. */
function collidingPodReview(): Json {
  const r = structuredClone(loadFixture('validate-create-daemonset-hostnetwork-port'));
  const spec = r.request.object.spec.template.spec;
  spec.nodeSelector = undefined;
  spec.nodeName = 'worker-2';
  spec.containers = [{ name: 'c', image: 'x', ports: [{ containerPort: 30080, protocol: 'TCP' }] }];
  spec.initContainers = undefined;
  return r;
}

/** A Service on nodePort 40000 is outside the range; 32000 sits in worker-1's widened range. */
function serviceReview(nodePort: number): Json {
  const r = structuredClone(loadFixture('validate-create-service-nodeport-explicit'));
  r.request.object.spec.ports[0].nodePort = nodePort;
  return r;
}

interface Env {
  lw: ListWatchServer;
  source: ClusterStateSource;
  handle: ServerHandle;
  metrics: Metrics;
  agent: Agent;
}

let env: Env;
/** The serving certificate, the same for every test: generating it was most of each setup. */
let certs: Awaited<ReturnType<typeof tempCertificates>>;

beforeAll(async () => {
  certs = await tempCertificates();
});
afterAll(async () => {
  await rm(certs.dir, { recursive: true, force: true });
});

beforeEach(async () => {
  const lw = await startListWatchServer({
    seed: {
      configmaps: [configMap(GOOD)],
      services: [service('web', 30080)],
      nodes: [node('worker-1'), node('worker-2')],
    },
  });
  const metrics = createMetrics();
  const source = startClusterStateSource({
    kubeConfig: lw.kubeConfig(),
    logger: kubeLogger(),
    metrics,
    backoff: { baseMs: 20, maxMs: 200 },
    watchDelay: (ms) => sleep(ms / 100),
  });
  const handle = await startServer({
    deps: {
      reviewer: await sharedReviewer(),
      getState: source.getState,
      getPolicy: () => DEFAULT_POLICY,
      isReady: source.isReady,
      metrics,
      logger: recordingLogger().logger,
    },
    port: 0,
    host: '127.0.0.1',
    healthPort: 0,
    healthHost: '127.0.0.1',
    tls: { certFile: certs.cert, keyFile: certs.key },
  });
  const agent = new Agent({ connect: { ca: [certs.bundle.caCert] }, connections: 4 });
  env = { lw, source, handle, metrics, agent };
  await waitFor(() => source.isReady().ready, 10_000, 'initial sync');
  await waitFor(() => lw.watchCount() === 7, 10_000, 'watches open');
});

afterEach(async () => {
  await env.agent.close();
  await env.handle.close();
  await env.source.stop();
  await env.lw.close();
});

async function validate(review: Json): Promise<Json> {
  const res = await request(`https://127.0.0.1:${env.handle.port}/validate?timeout=10s`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(review),
    dispatcher: env.agent,
  });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as Json).response;
}

async function readyz(): Promise<{ status: number; body: Json }> {
  const res = await request(`http://127.0.0.1:${env.handle.healthPort}/readyz`);
  return { status: res.statusCode, body: await res.body.json() };
}

async function metricsText(): Promise<string> {
  const res = await request(`http://127.0.0.1:${env.handle.healthPort}/metrics`);
  return res.body.text();
}

/** Runs reviews back to back until `stop` resolves; returns every answer. */
async function underLoad(review: Json, during: () => Promise<void>): Promise<Json[]> {
  const answers: Json[] = [];
  let running = true;
  const loops = Array.from({ length: 3 }, async () => {
    while (running) answers.push(await validate(review));
  });
  try {
    await during();
  } finally {
    running = false;
    await Promise.all(loops);
  }
  return answers;
}

describe('informer faults under load', () => {
  it('never answers from a half-applied state while watches break and history expires', async () => {
    const review = collidingPodReview();
    expect((await validate(review)).allowed).toBe(false);
    const answers = await underLoad(review, async () => {
      for (let i = 0; i < 5; i++) {
        const lists = env.lw.listCount('services');
        if (i % 2 === 0) env.lw.expireResourceVersion();
        else env.lw.breakWatches('abrupt');
        // Unrelated churn while the informers are down and relisting.
        env.lw.emit('services', 'ADDED', service(`churn-${i}`, 31000 + i));
        if (i % 2 === 0) await waitFor(() => env.lw.listCount('services') > lists, 10_000, 'relist');
        await waitFor(() => env.lw.watchCount() === 7, 10_000, 'watches reopened');
      }
    });
    expect(answers.length).toBeGreaterThan(20);
    // "web" existed the whole time: any allowed answer was read from a half-built inventory.
    expect(answers.filter((a) => a.allowed)).toEqual([]);
    await waitFor(
      () => env.source.getState().inventory.ownersOf('TCP', 31004).length === 1,
      10_000,
      'converged',
    );
    expect((await readyz()).status).toBe(200);
  });

  it('a Service deleted while the watch was down is gone after the relist, and the review follows', async () => {
    const review = collidingPodReview();
    env.lw.expireResourceVersion();
    env.lw.emit('services', 'DELETED', service('web', 30080));
    await waitFor(async () => (await validate(review)).allowed === true, 10_000, 'relisted without web');
  });
});

describe('hostile ConfigMap updates', () => {
  const BAD: [string, Record<string, unknown>, string][] = [
    [
      'reversed ephemeral range',
      { ...GOOD, 'node.worker-1': '{"ipLocalPortRange": "65535 1024"}' },
      'node.worker-1',
    ],
    ['reversed nodePortRange', { ...GOOD, nodePortRange: '32767-30000' }, 'nodePortRange'],
    ['port 0 and 70000', { ...GOOD, 'node.worker-2': '{"ipLocalPortRange": "0 70000"}' }, 'node.worker-2'],
    [
      'reversed reserved range',
      {
        ...GOOD,
        'node.worker-1': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "32767-30000"}',
      },
      'node.worker-1',
    ],
    [
      'a number where a string belongs',
      { ...GOOD, 'node.worker-1': '{"ipLocalPortRange": 1024}' },
      'node.worker-1',
    ],
    [
      'an array where a string belongs',
      { ...GOOD, 'node.worker-1': '{"ipLocalPortRange": ["1024", "65535"]}' },
      'node.worker-1',
    ],
    [
      'labels as a string',
      { ...GOOD, 'node.worker-1': '{"ipLocalPortRange": "1024 65535", "labels": "pool=a"}' },
      'node.worker-1',
    ],
    ['JSON null', { ...GOOD, 'node.worker-2': 'null' }, 'node.worker-2'],
    ['a JSON array', { ...GOOD, 'node.worker-2': '[1, 2]' }, 'node.worker-2'],
    ['truncated JSON', { ...GOOD, 'node.worker-2': '{"ipLocalPortRange": "1024' }, 'node.worker-2'],
    ['a non-string data value', { ...GOOD, 'node.worker-2': 5 }, 'node.worker-2'],
    [
      'a 1 MiB value',
      { ...GOOD, 'node.worker-2': `{"ipLocalPortRange": "${'1'.repeat(1024 * 1024)} 2"}` },
      'node.worker-2',
    ],
    ['an unknown key', { ...GOOD, 'nodes.worker-3': '{"ipLocalPortRange": "1024 65535"}' }, 'nodes.worker-3'],
    ['default reversed', { ...GOOD, default: '{"ipLocalPortRange": "60999 32768"}' }, 'default'],
  ];

  it.each(BAD)(
    '%s: rejected naming the key, last good data kept, metric raised, still serving',
    async (_n, data, key) => {
      const before = env.source.getState().ranges;
      const errorsBefore = (await env.metrics.rangesReloadErrors.get()).values[0]?.value ?? 0;
      env.lw.emit('configmaps', 'MODIFIED', configMap(data));
      await waitFor(
        async () => ((await env.metrics.rangesReloadErrors.get()).values[0]?.value ?? 0) > errorsBefore,
        10_000,
        'reload error counted',
      );
      expect(env.source.getState().ranges).toBe(before);
      const { status, body } = await readyz();
      expect(status).toBe(200);
      expect(body.rangesConfigMap).toMatch(/last update rejected/);
      expect(body.rangesConfigMap).toContain(key);
      expect(body.rangesErrors.map((e: { key: string }) => e.key)).toContain(key);
      for (const e of body.rangesErrors) expect(e.message.length).toBeLessThan(1_000);
      expect(await metricsText()).toMatch(/portguard_ranges_reload_errors_total [1-9]/);
      // Still serving, from the last good data: 32000 is in worker-1's widened range.
      expect((await validate(serviceReview(32000))).allowed).toBe(false);
    },
  );

  it('100,000 keys with one bad entry: the error names that key', async () => {
    const data: Record<string, string> = { ...GOOD };
    for (let i = 0; i < 100_000; i++) data[`node.n${i}`] = '{"ipLocalPortRange": "32768 60999"}';
    data['node.n77777'] = '{"ipLocalPortRange": "60999 32768"}';
    const parsed = applyConfigMap(data);
    expect(parsed.errors.map((e) => e.key)).toEqual(['node.n77777']);
    expect(parsed.errors[0]?.message).toMatch(/32768|60999|low|high|greater/i);
  }, 60_000);

  it('100,000 keys through the informer: rejected, last good kept, reviews keep being answered', async () => {
    const data: Record<string, string> = { ...GOOD };
    for (let i = 0; i < 100_000; i++) data[`node.n${i}`] = '{"ipLocalPortRange": "32768 60999"}';
    data['node.n5'] = 'not json';
    const before = env.source.getState().ranges;
    // A ConfigMap is capped at 1 MiB, so 100,000 keys cannot reach a real cluster; this only
    // shows the damage is contained if a bigger object ever arrived (the stall it causes is
    // a figure for the benchmark, not an assertion here).
    env.lw.emit('configmaps', 'MODIFIED', configMap(data));
    await waitFor(
      () => /last update rejected/.test(String(env.source.isReady().detail['rangesConfigMap'])),
      30_000,
    );
    expect(env.source.getState().ranges).toBe(before);
    expect(env.source.isReady().detail['rangesConfigMap']).toContain('node.n5');
    expect((await validate(serviceReview(32000))).allowed).toBe(false);
  }, 60_000);

  it('a good update after bad ones is applied again', async () => {
    env.lw.emit('configmaps', 'MODIFIED', configMap({ ...GOOD, nodePortRange: '32767-30000' }));
    await waitFor(() => /rejected/.test(String(env.source.isReady().detail['rangesConfigMap'])), 10_000);
    env.lw.emit(
      'configmaps',
      'MODIFIED',
      configMap({ ...GOOD, 'node.worker-1': '{"ipLocalPortRange": "32768 60999"}' }),
    );
    await waitFor(async () => (await validate(serviceReview(32000))).allowed === true, 10_000, 'new data');
    expect((await readyz()).body.rangesConfigMap).toMatch(/^ok; /);
  });
});

describe('ConfigMap deleted', () => {
  it('keeps the last known data, stays ready, and says so in /readyz', async () => {
    const before = env.source.getState().ranges;
    env.lw.emit('configmaps', 'DELETED', configMap({}));
    await waitFor(
      async () => /^deleted; serving last known data from /.test((await readyz()).body.rangesConfigMap),
      10_000,
    );
    expect(env.source.getState().ranges).toBe(before);
    expect((await readyz()).status).toBe(200);
    expect((await validate(serviceReview(32000))).allowed).toBe(false);
  });

  it('says so in a metric too', async () => {
    const series = (text: string) =>
      text
        .split('\n')
        .filter((l) => /^portguard_(ranges|configmap)/.test(l))
        .sort()
        .join('\n');
    const before = series(await metricsText());
    env.lw.emit('configmaps', 'DELETED', configMap({}));
    await waitFor(async () => /^deleted/.test((await readyz()).body.rangesConfigMap), 10_000);
    // Some ranges/ConfigMap series must change when the ConfigMap disappears.
    expect(series(await metricsText())).not.toBe(before);
  });
});
