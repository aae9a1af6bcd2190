/**
 * An upgrade from reporters that wrote `node.<name>` keys (with every Node label) into the
 * ranges ConfigMap: the server keeps judging each node on its old key until the node's new
 * reporter writes a report object, then on the report; the leader's prune then removes the
 * copied key and leaves hand-written keys alone; the decisions stay the same throughout.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClusterStateSource, startClusterStateSource } from '../../src/kube/cluster-state-source.js';
import { pruneStaleNodeKeys } from '../../src/kube/prune-stale-node-keys.js';
import { createNodeReporter } from '../../src/reporter/node-reporter.js';
import {
  type ListWatchServer,
  recordingLogger,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';

const NS = 'portguard-system';
const CM = 'portguard-node-ranges';
const FIXTURES = fileURLToPath(new URL('../reporter/fixtures/', import.meta.url));
/** What the old reporter wrote: the measurement plus every label of its Node. */
const oldCopy = (node: string, range: string) =>
  JSON.stringify({
    ipLocalPortRange: range,
    ipLocalReservedPorts: '',
    labels: { 'kubernetes.io/hostname': node, 'topology.kubernetes.io/zone': 'z1' },
  });

describe('upgrade from reporters that wrote into the ranges ConfigMap', () => {
  let server: ListWatchServer;
  let source: ClusterStateSource | undefined;

  beforeEach(async () => {
    server = await startListWatchServer({
      seed: {
        nodes: ['w1', 'w2', 'w3'].map((name) => ({
          metadata: { name, labels: { 'kubernetes.io/hostname': name } },
        })),
        configmaps: [
          {
            metadata: { name: CM, namespace: NS },
            data: {
              nodePortRange: '30000-32767',
              // w1 and w2: old reporters' copies, measured 1024-65535 (proc-widened says the same).
              'node.w1': oldCopy('w1', '1024\t65535'),
              'node.w2': oldCopy('w2', '1024\t65535'),
              // w3: an admin's override, which outranks any report.
              'node.w3': '{"ipLocalPortRange": "40000 50000", "ipLocalReservedPorts": ""}',
            },
          },
        ],
      },
    });
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await server.close();
  });

  const rangeOf = (node: string) => {
    const e = source!.getState().ranges.nodes.get(node)?.profile.ephemeral;
    return e && `${e.lo} ${e.hi}`;
  };
  const report = (node: string, proc: string) =>
    createNodeReporter({
      kubeConfig: server.kubeConfig(),
      nodeName: node,
      namespace: NS,
      configMapName: CM,
      procRoot: join(FIXTURES, proc),
      nodePortRange: { lo: 30000, hi: 32767 },
      resyncMs: 600_000,
      logger: recordingLogger(),
    }).report();

  it('keeps every node on its data before, during and after the rollout, then drops the copies', async () => {
    source = startClusterStateSource({
      kubeConfig: server.kubeConfig(),
      logger: recordingLogger(),
      reportCoalesceMs: 10,
    });
    await waitFor(() => source!.isReady().ready, 10_000, 'ready');
    expect([rangeOf('w1'), rangeOf('w2'), rangeOf('w3')]).toEqual([
      '1024 65535',
      '1024 65535',
      '40000 50000',
    ]);

    // w1's new reporter measures something else now: its report outranks the stale copy.
    await report('w1', 'proc-default');
    // w3's report loses to the admin's key.
    await report('w3', 'proc-widened');
    await waitFor(() => source!.reportedNodes().length === 2, 10_000, 'reports seen');
    await waitFor(() => rangeOf('w1') === '32768 60999', 10_000, 'w1 on its report');
    expect([rangeOf('w2'), rangeOf('w3')]).toEqual(['1024 65535', '40000 50000']);

    const before = source.getState().ranges;
    const pruned = await pruneStaleNodeKeys({
      kubeConfig: server.kubeConfig(),
      namespace: NS,
      configMapName: CM,
      liveNodes: ['w1', 'w2', 'w3'],
      reportedNodes: source.reportedNodes(),
      logger: recordingLogger(),
    });
    // w1's copy is gone; w2 has not reported yet, so its copy still serves it; w3's key is hand-written.
    expect(pruned).toEqual({ keys: ['node.w1'], reports: [] });
    expect(Object.keys(server.get('configmaps', CM, NS).data).sort()).toEqual([
      'node.w2',
      'node.w3',
      'nodePortRange',
    ]);
    await waitFor(() => source!.getState().ranges !== before, 10_000, 'the pruned ConfigMap applied');
    expect([rangeOf('w1'), rangeOf('w2'), rangeOf('w3')]).toEqual([
      '32768 60999',
      '1024 65535',
      '40000 50000',
    ]);
    // The reporters never wrote the ranges ConfigMap.
    const writers = server.requests.filter((r) => r.method !== 'GET' && r.path.endsWith(`/configmaps/${CM}`));
    expect(writers.map((r) => r.method)).toEqual(['PATCH']);
  });
});
