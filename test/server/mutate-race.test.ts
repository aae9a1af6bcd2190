/**
 * Issue 9: a burst of Service creates against one replica whose informer lags the store.
 * The test plays the apiserver: each create goes through /mutate of the real app, the
 * patch is applied, the nodePort allocator refuses a port already allocated (422, the
 * create fails), and a created Service is stored on the list/watch server, whose watch
 * delivers it only after LAG later creates (held events, not timers). The informer is the
 * real ClusterStateSource on that server.
 */
import jsonPatch from 'fast-json-patch';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { type ClusterStateSource, startClusterStateSource } from '../../src/kube/cluster-state-source.js';
import { buildApp } from '../../src/server/app.js';
import type { AppDeps } from '../../src/server/deps.js';
import { createMetrics } from '../../src/server/metrics.js';
import { NodePortReservations } from '../../src/server/nodeport-reservations.js';
import {
  type ListWatchServer,
  recordingLogger,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';
import { decodePatch, type Json, post, sharedReviewer } from './helpers.js';

const CLIENTS = 8;
const PER_CLIENT = 25;
/** The watch shows a Service only after this many later creates were stored. */
const LAG = 16;
/** Every node's ephemeral range starts at 30400: the safe ports are 30000-30399. */
const EPHEMERAL = '{"ipLocalPortRange": "30400 60999"}';

/** mulberry32: a seeded generator, so a run's picks are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixed shapes: one port, two ports (TCP and UDP), LoadBalancer Local with a health check port. */
function service(name: string, i: number): Json {
  const ports: Json[] = [{ port: 80, protocol: 'TCP' }];
  if (i % 3 === 0) ports.push({ port: 53, protocol: 'UDP' });
  const spec =
    i % 5 === 4
      ? { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports }
      : { type: 'NodePort', ports };
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'apps' }, spec };
}

function review(uid: string, object: Json) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Service' },
      operation: 'CREATE',
      namespace: 'apps',
      object,
    },
  };
}

function nodePortsOf(svc: Json): (number | undefined)[] {
  const ports = svc.spec.ports.map((p: Json) => p.nodePort as number | undefined);
  return svc.spec.externalTrafficPolicy === 'Local' ? [...ports, svc.spec.healthCheckNodePort] : ports;
}

describe('a burst of creates through one replica with a lagging informer', () => {
  let server: ListWatchServer | undefined;
  let source: ClusterStateSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await server?.close();
    source = undefined;
    server = undefined;
  });

  async function burst(memory: NodePortReservations | undefined) {
    server = await startListWatchServer({
      seed: {
        configmaps: [
          {
            metadata: { name: 'portguard-node-ranges', namespace: 'portguard-system' },
            data: { nodePortRange: '30000-32767', default: EPHEMERAL, 'node.worker-1': EPHEMERAL },
          },
        ],
        nodes: [{ metadata: { name: 'worker-1' } }],
      },
    });
    source = startClusterStateSource({
      kubeConfig: server.kubeConfig(),
      logger: recordingLogger(),
      backoff: { baseMs: 20, maxMs: 200 },
      watchDelay: (ms) => new Promise((r) => setTimeout(r, ms / 100)),
    });
    const live = source;
    await waitFor(() => live.isReady().ready && live.getState().nodesComplete, 20_000, 'informers synced');
    const deps: AppDeps = {
      reviewer: await sharedReviewer(),
      getState: live.getState,
      getPolicy: () => DEFAULT_POLICY,
      isReady: live.isReady,
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      random: seeded(9),
      ...(memory ? { nodePortReservations: memory } : {}),
    };
    const app = buildApp(deps);
    await app.ready();

    const apiserver = server;
    apiserver.holdEvents();
    const allocated = new Set<number>();
    let collisions = 0;
    let unassigned = 0;
    let created = 0;
    let peakReserved = 0;
    const client = async (c: number) => {
      for (let i = 0; i < PER_CLIENT; i++) {
        const name = `svc-${c}-${i}`;
        const object = service(name, i);
        const res = await post(app, '/mutate', review(`uid-${name}`, object));
        const svc = jsonPatch.applyPatch(structuredClone(object), decodePatch(res.body.response)).newDocument;
        const ports = nodePortsOf(svc);
        if (ports.some((p) => p === undefined)) unassigned++;
        // The allocator: "provided port is already allocated" (422), nothing is stored.
        if (ports.some((p) => p !== undefined && allocated.has(p))) {
          collisions++;
          continue;
        }
        for (const p of ports) if (p !== undefined) allocated.add(p);
        apiserver.emit('services', 'ADDED', svc);
        created++;
        if (apiserver.heldCount > LAG) apiserver.releaseEvents(apiserver.heldCount - LAG);
        // The lag is exactly the held events: wait until the informer shows every released one.
        const shown = created - apiserver.heldCount;
        await waitFor(() => live.getState().inventory.objectCount >= shown, 20_000, 'released events');
        peakReserved = Math.max(peakReserved, memory?.size ?? 0);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    expect(apiserver.heldCount).toBe(Math.min(LAG, created));
    apiserver.releaseEvents();
    await waitFor(() => live.getState().inventory.objectCount === created, 20_000, 'informer caught up');
    await app.close();
    return { collisions, unassigned, created, peakReserved };
  }

  it('assigns no port twice when this replica remembers its picks', async () => {
    const memory = new NodePortReservations({ now: () => 0 });
    const { peakReserved, ...result } = await burst(memory);
    expect(result).toEqual({ collisions: 0, unassigned: 0, created: CLIENTS * PER_CLIENT });
    // Reservations end as the informer shows their Services, not only at the end: at most
    // the held Services and those in flight (3 ports each at most) were ever reserved.
    expect(peakReserved).toBeGreaterThan(0);
    expect(peakReserved).toBeLessThanOrEqual(3 * (LAG + CLIENTS));
    // The clock never moved: every reservation ended because the informer showed its Service.
    memory.prune(source!.getState().inventory);
    expect(memory.size).toBe(0);
  });

  it('collides without the memory (the same burst, so the test above can fail)', async () => {
    const result = await burst(undefined);
    expect(result.collisions).toBeGreaterThan(0);
    expect(result.created + result.collisions).toBe(CLIENTS * PER_CLIENT);
  });
});
