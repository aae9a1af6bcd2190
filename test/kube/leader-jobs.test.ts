/**
 * Leader-only jobs over a real Lease on the local list/watch server: of two replicas
 * only one runs its jobs; losing the Lease stops them; shutdown stops them before the
 * Lease is released, and releases it even when a job hangs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ElectionTimers,
  LEADER_LEASE_NAME,
  startLeaderElection,
} from '../../src/kube/leader-election.js';
import { type LeaderJob, type LeaderJobs, startLeaderJobs } from '../../src/kube/leader-jobs.js';
import {
  type ListWatchServer,
  recordingLogger,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';

const NS = 'portguard-system';

let server: ListWatchServer;
const replicas: LeaderJobs[] = [];

beforeEach(async () => {
  server = await startListWatchServer();
});
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
  await server.close();
});

interface Recorder {
  log: string[];
  /** The isLeader each started job was given, latest last. */
  contexts: { isLeader: () => boolean }[];
}

/** A job that records start/stop per replica; `hang` makes its stop never finish. */
function recordingJob(identity: string, rec: Recorder, opts: { hang?: boolean } = {}): LeaderJob {
  return {
    name: 'record',
    start: (ctx) => {
      rec.contexts.push(ctx);
      rec.log.push(`${identity} start`);
      return {
        stop: async () => {
          // Who holds the Lease while this job stops: it must still be this replica.
          const holder = server.get('leases', LEADER_LEASE_NAME, NS)?.spec.holderIdentity;
          rec.log.push(`${identity} stop (holder ${holder})`);
          if (opts.hang) await new Promise(() => {});
        },
      };
    },
  };
}

/** The global timers, keeping the set of those scheduled and not yet fired or cleared. */
function pendingTimers(): ElectionTimers & { pending: Set<NodeJS.Timeout> } {
  const pending = new Set<NodeJS.Timeout>();
  return {
    pending,
    setTimeout(fn, ms) {
      const t = setTimeout(() => {
        pending.delete(t);
        fn();
      }, ms);
      pending.add(t);
      return t;
    },
    clearTimeout(t) {
      pending.delete(t);
      clearTimeout(t);
    },
  };
}

function replica(
  identity: string,
  jobs: LeaderJob[],
  stopTimeoutMs?: number,
  logger = recordingLogger(),
  timers?: ElectionTimers,
): LeaderJobs {
  const r = startLeaderJobs({
    jobs,
    logger,
    ...(stopTimeoutMs !== undefined ? { stopTimeoutMs } : {}),
    elect: (callbacks) =>
      startLeaderElection({
        kubeConfig: server.kubeConfig(),
        namespace: NS,
        leaseName: LEADER_LEASE_NAME,
        identity,
        leaseDurationSeconds: 1,
        renewDeadlineSeconds: 0.6,
        retryPeriodSeconds: 0.05,
        logger: recordingLogger(),
        ...(timers ? { timers } : {}),
        ...callbacks,
      }),
  });
  replicas.push(r);
  return r;
}

describe('startLeaderJobs', () => {
  it('runs the jobs on exactly one of two replicas, and on the other after the leader stops', async () => {
    const rec: Recorder = { log: [], contexts: [] };
    const a = replica('replica-a', [recordingJob('replica-a', rec)]);
    const b = replica('replica-b', [recordingJob('replica-b', rec)]);
    await waitFor(() => rec.log.length === 1, 5000, 'one job start');
    // Many renewals later, still exactly one replica runs its job.
    const renewals = server.requests.filter((r) => r.method === 'PUT').length;
    await waitFor(
      () => server.requests.filter((r) => r.method === 'PUT').length >= renewals + 5,
      10_000,
      'five more Lease writes',
    );
    expect(rec.log).toHaveLength(1);
    const [leader, follower, leaderId, followerId] =
      rec.log[0] === 'replica-a start' ? [a, b, 'replica-a', 'replica-b'] : [b, a, 'replica-b', 'replica-a'];
    expect(leader.isLeader()).toBe(true);
    expect(follower.isLeader()).toBe(false);

    await leader.stop();
    // The job stopped while this replica still held the Lease, then the Lease was released.
    expect(rec.log[1]).toBe(`${leaderId} stop (holder ${leaderId})`);
    expect(rec.contexts[0]?.isLeader()).toBe(false);
    await waitFor(() => rec.log.length === 3, 5000, 'hand-over');
    expect(rec.log[2]).toBe(`${followerId} start`);
    expect(follower.isLeader()).toBe(true);
  });

  it('stops the jobs when another holder takes the Lease, and tells them at once', async () => {
    const rec: Recorder = { log: [], contexts: [] };
    const a = replica('replica-a', [recordingJob('replica-a', rec)]);
    await waitFor(() => a.isLeader(), 5000, 'leading');
    const lease = server.get('leases', LEADER_LEASE_NAME, NS);
    server.emit('leases', 'MODIFIED', {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: 'intruder',
        renewTime: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    await waitFor(() => rec.log.length === 2, 5000, 'job stopped');
    expect(rec.log).toEqual(['replica-a start', 'replica-a stop (holder intruder)']);
    expect(rec.contexts[0]?.isLeader()).toBe(false);
    expect(a.isLeader()).toBe(false);
  });

  it('releases the Lease on shutdown even when a job does not stop in time', async () => {
    const rec: Recorder = { log: [], contexts: [] };
    const logger = recordingLogger();
    const a = replica('replica-a', [recordingJob('replica-a', rec, { hang: true })], 100, logger);
    await waitFor(() => a.isLeader(), 5000, 'leading');
    await a.stop();
    // stop() gave up on the job after this replica's 100 ms, not the default.
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([
      {
        level: 'warn',
        obj: { timeoutMs: 100 },
        msg: 'leader jobs still stopping; releasing the lease anyway',
      },
    ]);
    expect(server.get('leases', LEADER_LEASE_NAME, NS)?.spec.holderIdentity).toBe('');
  });

  it('starts no job when shutdown begins while the Lease is being taken', async () => {
    const rec: Recorder = { log: [], contexts: [] };
    // stop() runs before the first Lease request has answered: the election wins, but
    // shutdown has begun, so the job must not start, and the Lease is handed back.
    const timers = pendingTimers();
    const a = replica('replica-a', [recordingJob('replica-a', rec)], undefined, undefined, timers);
    await a.stop();
    // stop() waited for the Lease request in flight; a job start queued behind its answer
    // runs within this turn, so the next one has let it through if there were one.
    await new Promise((resolve) => setImmediate(resolve));
    // And the election left no retry scheduled that could take the Lease or start the job later.
    expect(timers.pending.size).toBe(0);
    expect(rec.log).toEqual([]);
    expect(a.isLeader()).toBe(false);
    expect(server.get('leases', LEADER_LEASE_NAME, NS)?.spec.holderIdentity).toBe('');
  });
});
