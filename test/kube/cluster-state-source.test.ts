import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MODE_LABEL } from '../../src/core/policy.js';
import {
  type ClusterStateSource,
  projectNamespace,
  startClusterStateSource,
} from '../../src/kube/cluster-state-source.js';
import {
  type ListWatchServer,
  recordingLogger,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';

/** The sliced ConfigMap parses the source starts, so a test can wait until every one has ended. */
const parses = vi.hoisted(() => ({ started: 0, inFlight: new Set<Promise<unknown>>() }));
vi.mock('../../src/kube/ranges-model.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/kube/ranges-model.js')>();
  return {
    ...mod,
    applyConfigMapInSlices: (...args: Parameters<typeof mod.applyConfigMapInSlices>) => {
      const parse = mod.applyConfigMapInSlices(...args);
      parses.started++;
      parses.inFlight.add(parse);
      parse.then(
        () => parses.inFlight.delete(parse),
        () => parses.inFlight.delete(parse),
      );
      return parse;
    },
  };
});

/**
 * Resolves once every parse started so far has ended and the source has acted on its result
 * (its handler was attached before this wait's, so it has run by then): after this, no
 * parse is left that could land late.
 */
async function parsesSettled(): Promise<void> {
  while (parses.inFlight.size > 0) await Promise.allSettled([...parses.inFlight]);
  await new Promise((resolve) => setImmediate(resolve));
}

const NS = 'portguard-system';
const CM = 'portguard-node-ranges';

function nodePortService(name: string, nodePort: number, namespace = 'apps') {
  return {
    metadata: { name, namespace },
    spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort }] },
  };
}

function clusterIpService(name: string) {
  return { metadata: { name, namespace: 'apps' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } };
}

function hostNetworkPod(name: string, containerPort: number, nodeName = 'worker-1') {
  return {
    metadata: { name, namespace: 'apps' },
    spec: { nodeName, hostNetwork: true, containers: [{ name: 'c', ports: [{ containerPort }] }] },
    status: { phase: 'Running' },
  };
}

function hostPortPod(name: string, hostPort: number) {
  return {
    metadata: { name, namespace: 'apps' },
    spec: { nodeName: 'worker-2', containers: [{ name: 'c', ports: [{ containerPort: 8080, hostPort }] }] },
    status: { phase: 'Running' },
  };
}

function plainPod(name: string) {
  return {
    metadata: { name, namespace: 'apps' },
    spec: { containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] },
    status: { phase: 'Running' },
  };
}

function node(name: string, labels: Record<string, string> = {}) {
  return { metadata: { name, labels }, status: { images: [{ names: ['big'], sizeBytes: 1 }] } };
}

function namespace(name: string, labels: Record<string, string> = {}) {
  return {
    metadata: { name, labels, annotations: { big: 'x'.repeat(1000) } },
    spec: { finalizers: ['kubernetes'] },
  };
}

function configMap(data: Record<string, string>) {
  return { metadata: { name: CM, namespace: NS }, data };
}

const GOOD_DATA = {
  nodePortRange: '30000-32767',
  default: '{"ipLocalPortRange": "32768 60999"}',
  'node.worker-1': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-32767"}',
};

function counter() {
  return {
    n: 0,
    inc() {
      this.n++;
    },
  };
}

describe('startClusterStateSource against a list/watch server', () => {
  let server: ListWatchServer;
  let source: ClusterStateSource | undefined;
  let logger: ReturnType<typeof recordingLogger>;
  let reloadErrors: ReturnType<typeof counter>;
  let synced: Map<string, number>;

  const start = () => {
    logger = recordingLogger();
    reloadErrors = counter();
    synced = new Map();
    source = startClusterStateSource({
      kubeConfig: server.kubeConfig(),
      logger,
      metrics: {
        rangesReloadErrors: reloadErrors,
        informerSynced: { set: (l, v) => synced.set(l.resource, v) },
      },
      backoff: { baseMs: 20, maxMs: 200 },
      watchDelay: (ms) => new Promise((r) => setTimeout(r, ms / 100)),
    });
    return source;
  };

  beforeEach(async () => {
    server = await startListWatchServer({
      seed: {
        configmaps: [configMap(GOOD_DATA)],
        services: [nodePortService('web', 30080), clusterIpService('internal')],
        pods: [hostNetworkPod('agent', 9100), hostPortPod('ingress', 8443), plainPod('app')],
        nodes: [node('worker-1', { pool: 'general' }), node('worker-2', { pool: 'edge' })],
        namespaces: [namespace('shop', { [MODE_LABEL]: 'warn', team: 'a' }), namespace('apps')],
      },
    });
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await server.close();
  });

  const ready = () => source!.isReady().ready;
  const state = () => source!.getState();
  const owners = (port: number) =>
    state()
      .inventory.ownersOf('TCP', port)
      .map((o) => `${o.kind}/${o.name}`);
  const allWatching = () => server.watchCount() === 7;

  it('is not ready before the initial sync and ready after it, with every resource loaded', async () => {
    const s = start();
    expect(s.isReady().ready).toBe(false);
    await waitFor(ready, 10_000, 'ready');
    expect([...synced.values()]).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(owners(30080)).toEqual(['Service/web']);
    expect(owners(9100)).toEqual(['Pod/agent']);
    expect(owners(8443)).toEqual(['Pod/ingress']);
    expect(owners(8080)).toEqual([]);
    expect(state().inventory.objectCount).toBe(3);
    expect(state().nodesComplete).toBe(true);
    expect(state().ranges.nodes.get('worker-1')?.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
    // worker-2 has no key of its own: the default profile applies.
    expect(state().ranges.nodes.get('worker-2')?.profile.key).toBe(state().ranges.defaultProfile.key);
    expect(state().ranges.nodes.get('worker-2')?.labels).toEqual({ pool: 'edge' });
    expect(s.isReady().detail['rangesConfigMap']).toMatch(/^ok; applied /);
  });

  it('joins node report objects (label-selected) by precedence, applies their events and forgets deleted ones', async () => {
    const reportOf = (nodeName: string, entry: string, labelled = true) => ({
      metadata: {
        name: `${CM}.${nodeName}`,
        namespace: NS,
        ...(labelled ? { labels: { 'portguard.io/node-report': 'v1' } } : {}),
      },
      data: { [`node.${nodeName}`]: entry },
    });
    server.emit(
      'configmaps',
      'ADDED',
      reportOf('worker-2', '{"ipLocalPortRange":"40000 50000","ipLocalReservedPorts":""}'),
    );
    // A hand-written entry for worker-1 outranks its report.
    server.emit(
      'configmaps',
      'ADDED',
      reportOf('worker-1', '{"ipLocalPortRange":"45000 46000","ipLocalReservedPorts":""}'),
    );
    const s = start();
    await waitFor(ready, 10_000, 'ready');
    const range = (n: string) => state().ranges.nodes.get(n)?.profile.ephemeral;
    expect(range('worker-2')).toEqual({ lo: 40000, hi: 50000 });
    expect(range('worker-1')).toEqual({ lo: 1024, hi: 65535 });
    expect(s.isReady().detail['nodeReports']).toBe(2);
    const listener =
      '{"ipLocalPortRange":"40000 50000","ipLocalReservedPorts":"","listeners":{"tcp":"30080"}}';
    server.emit('configmaps', 'MODIFIED', reportOf('worker-2', listener));
    await waitFor(
      () => state().ranges.nodes.get('worker-2')?.evidence?.listeners?.tcp?.toString() === '30080',
      10_000,
      'report update applied',
    );
    // Unlabelled ConfigMaps are not reports, whatever their name.
    server.emit('configmaps', 'ADDED', reportOf('worker-3', '{"ipLocalPortRange":"1 2"}', false));
    server.emit('configmaps', 'DELETED', reportOf('worker-2', listener));
    await waitFor(() => range('worker-2')?.lo === 32768, 10_000, 'report deletion applied');
    expect(s.isReady().detail['nodeReports']).toBe(1);
    expect(s.isReady().detail['nodeReportErrors']).toBeUndefined();
  });

  it('is not ready while an informer cannot list, then recovers with backoff', async () => {
    server.failRequests('services', 3);
    const s = start();
    await waitFor(
      () => server.listCount('nodes') > 0 && server.watchCount('nodes') === 1,
      5000,
      'nodes watching',
    );
    expect(s.isReady().ready).toBe(false);
    await waitFor(ready, 10_000, 'ready after retries');
    const detail = s.isReady().detail['informers'] as Record<
      string,
      { lastError?: string; restarts: number }
    >;
    expect(detail['services']?.restarts).toBe(3);
    expect(detail['services']?.lastError).toMatch(/500/);
    expect(owners(30080)).toEqual(['Service/web']);
  });

  it.each([
    ['ADDED', () => nodePortService('api', 31000), 31000, ['Service/api']],
    ['MODIFIED', () => nodePortService('web', 30090), 30090, ['Service/web']],
  ] as const)('applies a Service %s event', async (type, make, port, expected) => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    server.emit('services', type, make());
    await waitFor(() => owners(port).length > 0, 5000, `port ${port}`);
    expect(owners(port)).toEqual(expected);
    if (type === 'MODIFIED') expect(owners(30080)).toEqual([]);
  });

  it('removes a deleted Service and ignores Services without node ports', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    server.emit('services', 'MODIFIED', {
      ...clusterIpService('internal'),
      metadata: { name: 'internal', namespace: 'apps', labels: { a: 'b' } },
    });
    server.emit('services', 'DELETED', nodePortService('web', 30080));
    await waitFor(() => owners(30080).length === 0, 5000, 'web removed');
    expect(state().inventory.objectCount).toBe(2);
  });

  it('adds a hostNetwork pod seen on the spec.hostNetwork=true watch and drops it when it finishes', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    server.emit('pods', 'ADDED', hostNetworkPod('exporter', 9200, 'worker-2'));
    await waitFor(() => owners(9200).length === 1, 5000, 'exporter indexed');
    expect(state().inventory.ownersOf('TCP', 9200)[0]?.nodes).toEqual(['worker-2']);
    server.emit('pods', 'MODIFIED', {
      ...hostNetworkPod('exporter', 9200, 'worker-2'),
      status: { phase: 'Succeeded' },
    });
    await waitFor(() => owners(9200).length === 0, 5000, 'finished exporter dropped');
    const watchedPaths = server.requests
      .filter((r) => r.query['watch'] === 'true')
      .map((r) => r.query['fieldSelector'] ?? '');
    expect(watchedPaths).toContain('spec.hostNetwork=true');
  });

  it('indexes a pod with a hostPort from the all-pods watch and ignores pods without one', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    let changes = 0;
    source!.onChange(() => changes++);
    server.emit('pods', 'ADDED', plainPod('noise'));
    server.emit('pods', 'ADDED', hostPortPod('proxy', 8888));
    await waitFor(() => owners(8888).length === 1, 5000, 'proxy indexed');
    expect(state().inventory.ownersOf('TCP', 8888)[0]).toMatchObject({
      nodes: ['worker-2'],
      path: expect.stringContaining('hostPort'),
    });
    expect(changes).toBe(1);
    server.emit('pods', 'DELETED', hostPortPod('proxy', 8888));
    await waitFor(() => owners(8888).length === 0, 5000, 'proxy removed');
  });

  it('applies a first ConfigMap version with errors, reporting them, since there is no last good data', async () => {
    server.emit('configmaps', 'MODIFIED', configMap({ ...GOOD_DATA, 'node.worker-2': '{' }));
    start();
    await waitFor(ready);
    expect(reloadErrors.n).toBe(1);
    expect(state().ranges.nodes.get('worker-1')?.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
    expect(state().ranges.nodes.get('worker-2')?.profile.key).toBe(state().ranges.defaultProfile.key);
    expect(source!.isReady().detail['rangesConfigMap']).toMatch(/applied with errors in: node\.worker-2/);
  });

  it('applies a good ConfigMap update', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    server.emit(
      'configmaps',
      'MODIFIED',
      configMap({ ...GOOD_DATA, 'node.worker-2': '{"ipLocalPortRange": "40000 50000"}' }),
    );
    await waitFor(
      () => state().ranges.nodes.get('worker-2')?.profile.ephemeral.lo === 40000,
      5000,
      'worker-2 range',
    );
    // Live labels win over the ConfigMap's.
    expect(state().ranges.nodes.get('worker-2')?.labels).toEqual({ pool: 'edge' });
    expect(reloadErrors.n).toBe(0);
  });

  it('keeps the last good ranges when an update has any error, counts it and stays ready', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    const before = state().ranges;
    server.emit(
      'configmaps',
      'MODIFIED',
      configMap({
        ...GOOD_DATA,
        'node.worker-2': '{"ipLocalPortRange": "50000 40000"}',
        'node.worker-3': 'not json',
      }),
    );
    await waitFor(() => reloadErrors.n === 1, 5000, 'reload error counted');
    expect(state().ranges).toBe(before);
    expect(source!.isReady().ready).toBe(true);
    expect(source!.isReady().detail['rangesConfigMap']).toMatch(
      /last update rejected .*node\.worker-2, node\.worker-3/,
    );
    const logged = logger.records.find((r) => r.level === 'error');
    expect(logged?.obj['errors'].map((e: { key: string }) => e.key)).toEqual([
      'node.worker-2',
      'node.worker-3',
    ]);
    // A later good update is applied again.
    server.emit('configmaps', 'MODIFIED', configMap({ ...GOOD_DATA, nodePortRange: '30000-32000' }));
    await waitFor(() => state().ranges.nodePortRange.hi === 32000, 5000, 'good update after bad');
    expect(source!.isReady().detail['rangesConfigMap']).toMatch(/^ok; /);
  });

  /** A 5,000-node version whose nodePortRange end identifies it. */
  function bigVersion(end: number, nodes = 5000): Record<string, string> {
    const data: Record<string, string> = { ...GOOD_DATA, nodePortRange: `30000-${end}` };
    for (let i = 0; i < nodes; i++) {
      data[`node.n${i}`] = JSON.stringify({
        ipLocalPortRange: i % 2 === 0 ? '1024 65535' : '32768 60999',
        labels: { v: String(end), i: String(i) },
      });
    }
    return data;
  }

  it('parses a large update in slices while reviews read only the old or the new state, never a mix', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    const before = state();
    const seen = new Set<unknown>();
    let duringParse = 0;
    let sampling = true;
    const sample = () => {
      const s = state();
      seen.add(s.ranges);
      if (source!.isReady().detail['rangesUpdateInProgress'] === true) {
        duringParse++;
        // Still the previous data while the new version is being parsed.
        expect(s.ranges).toBe(before.ranges);
      }
      if (sampling) setImmediate(sample);
    };
    setImmediate(sample);
    server.emit('configmaps', 'MODIFIED', configMap(bigVersion(32000)));
    await waitFor(() => state().ranges.nodePortRange.hi === 32000, 10_000, 'big update applied');
    sampling = false;
    const after = state().ranges;
    expect(duringParse).toBeGreaterThan(0);
    expect([...seen].every((r) => r === before.ranges || r === after)).toBe(true);
    expect(after.nodes.get('worker-1')?.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
    expect(source!.isReady().detail['rangesUpdateInProgress']).toBeUndefined();
  });

  it('lets the newest ConfigMap version win when updates arrive while one is being parsed', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    const applied: number[] = [];
    source!.onChange(() => {
      const hi = state().ranges.nodePortRange.hi;
      if (applied.at(-1) !== hi) applied.push(hi);
    });
    for (const end of [31000, 31500, 32000])
      server.emit('configmaps', 'MODIFIED', configMap(bigVersion(end)));
    const startedBefore = parses.started;
    await waitFor(() => state().ranges.nodePortRange.hi === 32000, 10_000, 'newest version applied');
    // Every parse, stale ones included, has ended and been handed back: none landed late.
    await parsesSettled();
    expect(parses.started).toBeGreaterThan(startedBefore);
    expect(state().ranges.nodePortRange.hi).toBe(32000);
    // Versions are applied in order, if at all: an older one never replaces a newer one.
    expect(applied).toEqual([...applied].sort((a, b) => a - b));
    expect(applied.at(-1)).toBe(32000);
    expect(logger.records.filter((r) => r.level === 'error')).toEqual([]);
  });

  it('a delete arriving during a parse wins: the parsed version is never applied', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    const before = state().ranges;
    // 20,000 nodes: a parse long enough (100 ms or more) for the delete to arrive during it.
    server.emit('configmaps', 'MODIFIED', configMap(bigVersion(31000, 20_000)));
    await new Promise<void>((resolve) => {
      const poll = () =>
        source!.isReady().detail['rangesUpdateInProgress'] === true ? resolve() : setImmediate(poll);
      poll();
    });
    server.emit('configmaps', 'DELETED', configMap({}));
    await waitFor(() => /^deleted/.test(String(source!.isReady().detail['rangesConfigMap'])), 10_000);
    // The interrupted parse has ended and been handed back, so it can no longer be applied.
    await parsesSettled();
    expect(state().ranges).toBe(before);
    expect(source!.isReady().detail['rangesConfigMap']).toMatch(/^deleted/);
  });

  it('keeps the last known data when the ConfigMap is deleted and says so', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    const before = state().ranges;
    server.emit('configmaps', 'DELETED', configMap({}));
    await waitFor(
      () =>
        /^deleted; serving last known data from /.test(String(source!.isReady().detail['rangesConfigMap'])),
      5000,
      'deleted detail',
    );
    expect(state().ranges).toBe(before);
    expect(source!.isReady().ready).toBe(true);
  });

  it('serves built-in defaults, ready, when the ConfigMap does not exist', async () => {
    server.emit('configmaps', 'DELETED', configMap({}));
    start();
    await waitFor(ready);
    expect(source!.isReady().detail['rangesConfigMap']).toBe('not found; serving built-in defaults');
    expect(state().ranges.nodePortRange).toEqual({ lo: 30000, hi: 32767 });
    expect(state().ranges.nodes.size).toBe(2);
  });

  it('updates ranges when node labels change, and drops deleted nodes', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    server.emit('nodes', 'MODIFIED', node('worker-2', { pool: 'batch' }));
    await waitFor(() => state().ranges.nodes.get('worker-2')?.labels['pool'] === 'batch', 5000, 'labels');
    server.emit('nodes', 'DELETED', node('worker-1'));
    await waitFor(() => !state().ranges.nodes.has('worker-1'), 5000, 'node deleted');
    server.emit('nodes', 'ADDED', node('worker-9'));
    await waitFor(() => state().ranges.nodes.has('worker-9'), 5000, 'node added');
  });

  it('knows namespace labels from the initial list, and follows label changes and deletes', async () => {
    const s = start();
    await waitFor(ready);
    await waitFor(allWatching);
    expect(s.namespaceLabels('shop')).toEqual({ [MODE_LABEL]: 'warn', team: 'a' });
    expect(s.namespaceLabels('apps')).toEqual({});
    expect(s.namespaceLabels('unknown')).toBeUndefined();
    expect(s.isReady().detail['namespaces']).toBe(2);
    server.emit('namespaces', 'MODIFIED', namespace('shop', { [MODE_LABEL]: 'audit' }));
    server.emit('namespaces', 'ADDED', namespace('late', { [MODE_LABEL]: 'enforce' }));
    await waitFor(() => s.namespaceLabels('late') !== undefined, 5000, 'new namespace');
    expect(s.namespaceLabels('shop')).toEqual({ [MODE_LABEL]: 'audit' });
    expect(s.namespaceLabels('late')).toEqual({ [MODE_LABEL]: 'enforce' });
    server.emit('namespaces', 'DELETED', namespace('shop'));
    await waitFor(() => s.namespaceLabels('shop') === undefined, 5000, 'namespace deleted');
  });

  it('is not ready until the Namespace informer has listed', async () => {
    server.failRequests('namespaces', 2);
    const s = start();
    await waitFor(() => server.watchCount('nodes') === 1, 5000, 'nodes watching');
    expect(s.isReady().ready).toBe(false);
    await waitFor(ready, 10_000, 'ready after retries');
    expect(s.namespaceLabels('shop')?.[MODE_LABEL]).toBe('warn');
  });

  it('keeps only name and labels of a Namespace', () => {
    expect(projectNamespace(namespace('shop', { a: 'b' }) as never)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', resourceVersion: undefined, labels: { a: 'b' } },
    });
  });

  it.each(['abrupt', 'clean'] as const)('converges after watches are broken (%s)', async (mode) => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    expect(server.breakWatches(mode)).toBe(7);
    // Changes while no watch is open are replayed from the last resourceVersion.
    server.emit('services', 'ADDED', nodePortService('late', 31111));
    server.emit('services', 'DELETED', nodePortService('web', 30080));
    await waitFor(() => owners(31111).length === 1 && owners(30080).length === 0, 10_000, 'converged');
    await waitFor(allWatching, 10_000, 'watches reopened');
    server.emit('services', 'ADDED', nodePortService('later', 31112));
    await waitFor(() => owners(31112).length === 1, 10_000, 'live again');
  });

  it('relists after 410 Gone, swapping in a fresh inventory', async () => {
    start();
    await waitFor(ready);
    await waitFor(allWatching);
    const listsBefore = server.listCount('services');
    const inventoryBefore = state().inventory;
    server.expireResourceVersion();
    server.emit('services', 'DELETED', nodePortService('web', 30080));
    server.emit('services', 'ADDED', nodePortService('fresh', 31222));
    await waitFor(() => server.listCount('services') > listsBefore, 10_000, 'relist');
    await waitFor(() => owners(31222).length === 1 && owners(30080).length === 0, 10_000, 'converged');
    expect(state().inventory).not.toBe(inventoryBefore);
    expect(owners(9100)).toEqual(['Pod/agent']);
    expect(owners(8443)).toEqual(['Pod/ingress']);
  });
});
