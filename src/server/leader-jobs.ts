/**
 * The server's leader-only jobs, wired to the live cluster state: prune `node.<name>`
 * keys of deleted nodes from the ranges ConfigMap, and (when an interval is set) the
 * periodic audit that writes PolicyReports. Both run only on the replica that holds the
 * Lease `portguard-leader`. `serve` loads this module lazily, so `check` and the
 * static-file modes never load the audit or the Kubernetes client.
 */
import { type PeriodicRunOutcome, startPeriodicAudit } from '../audit/periodic.js';
import type { Policy } from '../core/policy.js';
import type { Reviewer } from '../core/review.js';
import type { ClusterState } from '../core/state.js';
import type { KubeConfig } from '../kube/k8s.js';
import {
  LEADER_LEASE_NAME,
  type LeaderElectionOptions,
  startLeaderElection,
} from '../kube/leader-election.js';
import { type LeaderJob, type LeaderJobs, startLeaderJobs } from '../kube/leader-jobs.js';
import type { KubeLogger } from '../kube/logger.js';
import { startNodeKeyPruning } from '../kube/prune-stale-node-keys.js';
import type { Metrics } from './metrics.js';

/** Leader-election timings; the defaults follow client-go (see leader-election.ts). */
export type ElectionTimings = Pick<
  LeaderElectionOptions,
  'leaseDurationSeconds' | 'renewDeadlineSeconds' | 'retryPeriodSeconds'
>;

export interface ServerLeaderJobsOptions {
  kubeConfig: KubeConfig;
  /** Namespace of the Lease, the ranges ConfigMap and the nodes' report objects. */
  namespace: string;
  /** The ranges ConfigMap, which pruning edits and the periodic audit reads. */
  configMapName: string;
  /** This replica's identity in the Lease: the pod name. */
  identity: string;
  getState(): ClusterState;
  onStateChange(cb: () => void): () => void;
  /** Nodes that have a report object (ClusterStateSource.reportedNodes). */
  reportedNodes?(): Iterable<string>;
  reviewer: Reviewer;
  getPolicy(): Policy;
  logger: KubeLogger;
  /** Prune every this many ms (and on start and Node deletions); undefined disables pruning. */
  pruneIntervalMs?: number | undefined;
  /** Audit every this many ms; undefined disables the periodic audit. */
  auditIntervalMs?: number | undefined;
  election?: ElectionTimings;
  /** Delay of the first audit after gaining leadership (default: the interval, at most 1 min). */
  auditInitialDelayMs?: number;
  /** Leader and periodic-audit metrics go here when given. */
  metrics?: Metrics;
}

/** Counts a periodic audit run in the metrics. */
export function recordAuditRun(metrics: Metrics, outcome: PeriodicRunOutcome, now: () => number): void {
  if (!outcome.ran) return;
  if (outcome.ok) {
    metrics.periodicAuditRuns.inc({ outcome: 'ok' });
    metrics.periodicAuditLastSuccess.set(Math.floor(now() / 1000));
    metrics.periodicAuditFindings.set(outcome.findings);
  } else {
    metrics.periodicAuditRuns.inc({
      outcome: outcome.error === 'lost leadership' ? 'lost-leadership' : 'failed',
    });
  }
}

/** The largest delay before a new leader's first audit: soon, but not in the start-up rush. */
export const MAX_FIRST_AUDIT_DELAY_MS = 60_000;

/**
 * Starts leader election with the enabled jobs; undefined when no job is enabled, since
 * then there is nothing to lead and no reason to write the Lease every 2 s.
 */
export function startServerLeaderJobs(opts: ServerLeaderJobsOptions): LeaderJobs | undefined {
  const jobs: LeaderJob[] = [];
  const { logger, kubeConfig, metrics } = opts;
  const pruneIntervalMs = opts.pruneIntervalMs;
  if (pruneIntervalMs !== undefined) {
    jobs.push({
      name: 'prune-node-keys',
      start: () =>
        startNodeKeyPruning({
          kubeConfig,
          namespace: opts.namespace,
          configMapName: opts.configMapName,
          logger,
          liveNodes: () => {
            const state = opts.getState();
            return state.nodesComplete ? state.ranges.nodes : undefined;
          },
          onChange: opts.onStateChange,
          ...(opts.reportedNodes ? { reportedNodes: opts.reportedNodes } : {}),
          intervalMs: pruneIntervalMs,
        }),
    });
  }
  const auditIntervalMs = opts.auditIntervalMs;
  if (auditIntervalMs !== undefined) {
    jobs.push({
      name: 'periodic-audit',
      start: ({ isLeader }) =>
        startPeriodicAudit({
          kc: kubeConfig,
          location: { namespace: opts.namespace, name: opts.configMapName },
          intervalMs: auditIntervalMs,
          initialDelayMs: opts.auditInitialDelayMs ?? Math.min(auditIntervalMs, MAX_FIRST_AUDIT_DELAY_MS),
          isLeader,
          reviewer: opts.reviewer,
          getPolicy: opts.getPolicy,
          logger,
          ...(metrics ? { onRun: (o: PeriodicRunOutcome) => recordAuditRun(metrics, o, Date.now) } : {}),
        }),
    });
  }
  if (jobs.length === 0) return undefined;
  return startLeaderJobs({
    jobs,
    logger,
    ...(metrics ? { onLeadingChange: (leading: boolean) => metrics.leader.set(leading ? 1 : 0) } : {}),
    elect: (callbacks) =>
      startLeaderElection({
        kubeConfig,
        namespace: opts.namespace,
        leaseName: LEADER_LEASE_NAME,
        identity: opts.identity,
        logger,
        ...opts.election,
        ...callbacks,
      }),
  });
}
