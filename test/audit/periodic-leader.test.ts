/**
 * The periodic audit as the server runs it: as a leader-only job over a real Lease on
 * the list/watch test server. Of two replicas only the leader writes PolicyReports; a new leader
 * empties reports its predecessor wrote; a replica that loses leadership stops writing.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPeriodicAudit } from '../../src/audit/periodic.js';
import type { PolicyReportObject } from '../../src/audit/policy-report.js';
import { type WriteOptions, writePolicyReports } from '../../src/audit/write-reports.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import type { KubeConfig } from '../../src/kube/k8s.js';
import { LEADER_LEASE_NAME, startLeaderElection } from '../../src/kube/leader-election.js';
import { type LeaderJobs, startLeaderJobs } from '../../src/kube/leader-jobs.js';
import { DEFAULT_RANGES_LOCATION } from '../../src/kube/read-cluster-ranges.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import {
  type ListWatchServer,
  recordingLogger,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';
import { KERNEL, service } from './cluster-fixtures.js';

const REPORTS = 'wgpolicyk8s.io/v1alpha2';
const POLICY_REPORTS = `${REPORTS}/policyreports` as const;
const CLUSTER_POLICY_REPORTS = `${REPORTS}/clusterpolicyreports` as const;

let reviewer: Reviewer;
beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
});

let server: ListWatchServer;
const replicas: LeaderJobs[] = [];
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
  await server.close();
});

function strip<T extends { kind?: string; apiVersion?: string }>(o: T): Omit<T, 'kind' | 'apiVersion'> {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest;
}

/** worker-1's ephemeral range covers 32582 and 32583, which are nodePorts: two failures. */
async function cluster(): Promise<ListWatchServer> {
  return startListWatchServer({
    seed: {
      configmaps: [
        {
          metadata: { namespace: 'portguard-system', name: 'portguard-node-ranges' },
          data: { 'node.worker-1': '{"ipLocalPortRange": "1024 65535"}', default: KERNEL },
        },
      ],
      nodes: [{ metadata: { name: 'worker-1' } }],
      services: [service('web', 'api', [32582]), service('legacy', 'old', [32583])].map(strip),
    },
  });
}

interface Write {
  writer: string;
  namespaces: string[];
}

/** One replica: leader election plus the periodic audit, recording who wrote what. */
function replica(identity: string, writes: Write[], intervalMs: number): LeaderJobs {
  const write = (kc: KubeConfig, reports: PolicyReportObject[], options: WriteOptions) => {
    writes.push({ writer: identity, namespaces: reports.map((r) => r.metadata.namespace ?? '').sort() });
    return writePolicyReports(kc, reports, options);
  };
  const r = startLeaderJobs({
    logger: recordingLogger(),
    jobs: [
      {
        name: 'periodic-audit',
        start: ({ isLeader }) =>
          startPeriodicAudit({
            kc: server.kubeConfig(),
            location: DEFAULT_RANGES_LOCATION,
            intervalMs,
            initialDelayMs: 0,
            isLeader,
            reviewer,
            getPolicy: () => DEFAULT_POLICY,
            logger: recordingLogger(),
            write,
          }),
      },
    ],
    elect: (callbacks) =>
      startLeaderElection({
        kubeConfig: server.kubeConfig(),
        namespace: 'portguard-system',
        leaseName: LEADER_LEASE_NAME,
        identity,
        leaseDurationSeconds: 1,
        renewDeadlineSeconds: 0.6,
        retryPeriodSeconds: 0.05,
        logger: recordingLogger(),
        ...callbacks,
      }),
  });
  replicas.push(r);
  return r;
}

describe('periodic audit under leader election', () => {
  it('only the leader writes, run after run', async () => {
    server = await cluster();
    const writes: Write[] = [];
    const a = replica('replica-a', writes, 40);
    const b = replica('replica-b', writes, 40);
    await waitFor(() => writes.length >= 3, 10_000, 'three audit runs');
    await waitFor(() => server.get(POLICY_REPORTS, 'portguard', 'web'), 5000, 'web report');
    const leader = a.isLeader() ? 'replica-a' : 'replica-b';
    expect(b.isLeader()).toBe(leader === 'replica-b');
    expect(new Set(writes.map((w) => w.writer))).toEqual(new Set([leader]));
    const web = server.get(POLICY_REPORTS, 'portguard', 'web');
    expect(web.summary.fail).toBe(1);
  });

  it('a new leader empties reports its predecessor wrote for namespaces without results', async () => {
    server = await cluster();
    const writes: Write[] = [];
    // One run per leadership (the next would be an hour later).
    const a = replica('replica-a', writes, 3_600_000);
    const b = replica('replica-b', writes, 3_600_000);
    await waitFor(() => writes.length === 1, 10_000, 'first run');
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    const first = writes[0]!;
    expect(first.namespaces).toEqual(['', 'legacy', 'web']);
    // `writes` records the start of a write; wait for the cluster report itself.
    await waitFor(() => server.get(CLUSTER_POLICY_REPORTS, 'portguard'), 5000, 'reports written');
    expect(server.get(POLICY_REPORTS, 'portguard', 'legacy').summary.fail).toBe(1);

    // The legacy Service stops using a node port, so its namespace has no results at all.
    server.emit('services', 'MODIFIED', strip(service('legacy', 'old', [], { type: 'ClusterIP' })));
    await leader.stop();
    await waitFor(() => writes.length === 2, 10_000, 'the new leader runs');
    expect(follower.isLeader()).toBe(true);
    expect(writes[1]!.writer).not.toBe(first.writer);
    // The new leader never wrote legacy's report, yet empties it: it read what exists.
    expect(writes[1]!.namespaces).toEqual(['', 'legacy', 'web']);
    await waitFor(
      () => server.get(POLICY_REPORTS, 'portguard', 'legacy').summary.fail === 0,
      5000,
      'legacy emptied',
    );
    const legacy = server.get(POLICY_REPORTS, 'portguard', 'legacy');
    expect(legacy.results).toEqual([]);
    expect(legacy.summary).toEqual({ pass: 0, fail: 0, warn: 0, error: 0, skip: 0 });
  });
});

describe('losing leadership during a run', () => {
  it('writes nothing when leadership is lost while scanning', async () => {
    server = await cluster();
    let leader = true;
    const periodic = startPeriodicAudit({
      kc: server.kubeConfig(),
      location: DEFAULT_RANGES_LOCATION,
      intervalMs: 3_600_000,
      isLeader: () => leader,
      reviewer,
      // Read as the scan starts: the Lease goes to another replica while this one lists.
      getPolicy: () => {
        leader = false;
        return DEFAULT_POLICY;
      },
      logger: recordingLogger(),
    });
    const outcome = await periodic.runOnce();
    await periodic.stop();
    expect(outcome).toEqual({ ran: true, ok: false, error: 'lost leadership' });
    expect(server.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('stops writing between reports once leadership is lost', async () => {
    server = await cluster();
    const reports = ['a', 'b', 'c'].map(
      (ns): PolicyReportObject => ({
        apiVersion: REPORTS,
        kind: 'PolicyReport',
        metadata: { name: 'portguard', namespace: ns, labels: {} },
        results: [],
        summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
      }),
    );
    let checks = 0;
    const outcome = await writePolicyReports(server.kubeConfig(), reports, {
      shouldContinue: () => ++checks <= 1,
    });
    expect(outcome).toEqual({ created: 1, updated: 0, failed: [], aborted: true });
    expect(server.list(POLICY_REPORTS).map((r) => r.metadata.namespace)).toEqual(['a']);
  });
});
