import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LeaderElector, startLeaderElection } from '../../src/kube/leader-election.js';
import { pruneStaleNodeKeys } from '../../src/kube/prune-stale-node-keys.js';
import {
  type ListWatchServer,
  recordingLogger,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';

const NS = 'portguard-system';

describe('leader election against a list/watch server', () => {
  let server: ListWatchServer;
  const electors: LeaderElector[] = [];

  beforeEach(async () => {
    server = await startListWatchServer();
  });

  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
    await server.close();
  });

  const candidate = (identity: string, events: string[]) => {
    const e = startLeaderElection({
      kubeConfig: server.kubeConfig(),
      namespace: NS,
      leaseName: 'portguard-leader',
      identity,
      leaseDurationSeconds: 1,
      renewDeadlineSeconds: 0.6,
      retryPeriodSeconds: 0.05,
      onStartedLeading: () => events.push(`${identity} started`),
      onStoppedLeading: () => events.push(`${identity} stopped`),
      logger: recordingLogger(),
    });
    electors.push(e);
    return e;
  };

  it('elects exactly one of two candidates, and hands over when the leader stops', async () => {
    const events: string[] = [];
    const a = candidate('replica-a', events);
    const b = candidate('replica-b', events);
    await waitFor(() => a.isLeader() || b.isLeader(), 5000, 'a leader');
    // Several renewals later there is still exactly one leader.
    const renewals = server.requests.filter((r) => r.method === 'PUT').length;
    await waitFor(
      () => server.requests.filter((r) => r.method === 'PUT').length >= renewals + 5,
      10_000,
      'five more Lease writes',
    );
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    const leaderId = a.isLeader() ? 'replica-a' : 'replica-b';
    expect(server.get('leases', 'portguard-leader', NS)?.spec.holderIdentity).toBe(leaderId);
    expect(events).toEqual([`${leaderId} started`]);

    await leader.stop();
    await waitFor(() => follower.isLeader(), 5000, 'hand-over');
    expect(events.slice(1)).toEqual([
      `${leaderId} stopped`,
      `${leaderId === 'replica-a' ? 'replica-b' : 'replica-a'} started`,
    ]);
    const spec = server.get('leases', 'portguard-leader', NS)?.spec;
    expect(spec.leaseTransitions).toBe(1);
    // Times are written as MicroTime (six fractional digits), as the apiserver expects.
    expect(spec.renewTime).toMatch(/\.\d{6}Z$/);
  });

  it('takes over an expired lease held by a replica that vanished', async () => {
    server.emit('leases', 'ADDED', {
      metadata: { name: 'portguard-leader', namespace: NS },
      spec: { holderIdentity: 'gone', leaseDurationSeconds: 1, renewTime: '2020-01-01T00:00:00.000000Z' },
    });
    const events: string[] = [];
    const started = Date.now();
    const c = candidate('replica-c', events);
    await waitFor(() => c.isLeader(), 5000, 'takeover');
    // It waited a full lease duration from when it first saw the record.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('steps down when another holder takes the lease', async () => {
    const events: string[] = [];
    const a = candidate('replica-a', events);
    await waitFor(() => a.isLeader(), 5000, 'leading');
    const lease = server.get('leases', 'portguard-leader', NS);
    server.emit('leases', 'MODIFIED', {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: 'intruder',
        renewTime: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    await waitFor(() => !a.isLeader(), 5000, 'stepped down');
    expect(events).toEqual(['replica-a started', 'replica-a stopped']);
  });
});

describe('pruneStaleNodeKeys', () => {
  let server: ListWatchServer;
  afterEach(async () => server.close());

  it("deletes reports of deleted nodes, and reporters' copies that a report replaced, but no hand-written entry", async () => {
    const CM = 'portguard-node-ranges';
    const copy = '{"ipLocalPortRange":"1024 65535","labels":{"kubernetes.io/hostname":"a","pool":"x"}}';
    const report = (node: string) => ({
      metadata: { name: `${CM}.${node}`, namespace: NS, labels: { 'portguard.io/node-report': 'v1' } },
      data: { [`node.${node}`]: '{"ipLocalPortRange":"32768 60999"}' },
    });
    server = await startListWatchServer({
      seed: {
        nodes: ['a', 'b', 'c', 'late'].map((name) => ({ metadata: { name } })),
        configmaps: [
          {
            metadata: { name: CM, namespace: NS },
            data: {
              'node.a': copy, // replaced by a's report: removed
              'node.b': '{"ipLocalPortRange":"1024 65535","labels":{"pool":"x"}}', // hand-written: kept
              'node.c': copy.replace('"a"', '"c"'), // no report yet: kept
            },
          },
          report('a'),
          report('b'),
          report('gone'),
          report('late'),
        ],
      },
    });
    const pruned = await pruneStaleNodeKeys({
      kubeConfig: server.kubeConfig(),
      namespace: NS,
      configMapName: CM,
      liveNodes: ['a', 'b', 'c'],
      reportedNodes: ['a', 'b', 'gone', 'late'],
      logger: recordingLogger(),
    });
    expect(pruned).toEqual({ keys: ['node.a'], reports: [`${CM}.gone`] });
    expect(Object.keys(server.get('configmaps', CM, NS).data).sort()).toEqual(['node.b', 'node.c']);
    expect(server.get('configmaps', `${CM}.gone`, NS)).toBeUndefined();
    expect(server.get('configmaps', `${CM}.late`, NS)).toBeDefined();
  });

  it('removes only keys of nodes that are gone, with one merge patch', async () => {
    server = await startListWatchServer({
      seed: {
        nodes: [{ metadata: { name: 'a' } }, { metadata: { name: 'late' } }],
        configmaps: [
          {
            metadata: { name: 'portguard-node-ranges', namespace: NS },
            data: {
              nodePortRange: '30000-32767',
              'node.a': '{}',
              'node.gone': '{}',
              // Missing from the caller's list but present on a direct GET: kept.
              'node.late': '{}',
            },
          },
        ],
      },
    });
    const pruned = await pruneStaleNodeKeys({
      kubeConfig: server.kubeConfig(),
      namespace: NS,
      configMapName: 'portguard-node-ranges',
      liveNodes: ['a'],
      logger: recordingLogger(),
    });
    expect(pruned).toEqual({ keys: ['node.gone'], reports: [] });
    expect(Object.keys(server.get('configmaps', 'portguard-node-ranges', NS).data).sort()).toEqual([
      'node.a',
      'node.late',
      'nodePortRange',
    ]);
    const patches = server.requests.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]?.contentType).toBe('application/merge-patch+json');
    expect(patches[0]?.body).toEqual({ data: { 'node.gone': null } });
  });

  it('does not patch when nothing is stale', async () => {
    server = await startListWatchServer({
      seed: {
        nodes: [{ metadata: { name: 'a' } }],
        configmaps: [
          { metadata: { name: 'portguard-node-ranges', namespace: NS }, data: { 'node.a': '{}' } },
        ],
      },
    });
    const pruned = await pruneStaleNodeKeys({
      kubeConfig: server.kubeConfig(),
      namespace: NS,
      configMapName: 'portguard-node-ranges',
      liveNodes: ['a'],
      logger: recordingLogger(),
    });
    expect(pruned).toEqual({ keys: [], reports: [] });
    expect(server.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
  });
});
