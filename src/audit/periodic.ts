/**
 * The server's optional periodic audit: every `intervalMs`, if this replica leads, scan
 * the cluster and write PolicyReports. Only the leader writes, so replicas never fight
 * over the same reports; the leader-election module supplies `isLeader`. Runs are chained
 * (never overlapping), and a failed run is logged and retried at the next interval.
 */

import type { Policy } from '../core/policy.js';
import type { Reviewer } from '../core/review.js';
import type { KubeConfig } from '../kube/k8s.js';
import type { KubeLogger } from '../kube/logger.js';
import type { RangesLocation } from '../kube/read-cluster-ranges.js';
import { auditCluster } from './audit-cluster.js';
import { buildPolicyReports, type PolicyReportObject } from './policy-report.js';
import {
  listReportNamespaces,
  type WriteOptions,
  type WriteOutcome,
  writePolicyReports,
} from './write-reports.js';

export interface PeriodicAuditOptions {
  kc: KubeConfig;
  /** The ranges ConfigMap the server watches (`serve --namespace/--configmap`); reports are read beside it. */
  location: RangesLocation;
  intervalMs: number;
  isLeader: () => boolean;
  reviewer: Reviewer;
  getPolicy: () => Policy;
  logger: KubeLogger;
  now?: () => Date;
  /** Delay before the first run (default: one interval, so start-up stays light). */
  initialDelayMs?: number;
  /** Told after each run, e.g. to count runs and failures in metrics. */
  onRun?: (outcome: PeriodicRunOutcome) => void;
  /** Injected for tests; defaults to `writePolicyReports`. */
  write?: (kc: KubeConfig, reports: PolicyReportObject[], options: WriteOptions) => Promise<WriteOutcome>;
  /** Injected for tests; defaults to `listReportNamespaces`. */
  listWritten?: (kc: KubeConfig) => Promise<Set<string>>;
}

export type PeriodicRunOutcome =
  | { ran: false; reason: 'not-leader' }
  /** Leadership was lost while scanning or writing; the rest is left to the new leader. */
  | { ran: true; ok: false; error: 'lost leadership'; write?: WriteOutcome }
  | { ran: true; ok: true; findings: number; write: WriteOutcome }
  | { ran: true; ok: false; error: string };

export interface PeriodicAudit {
  /** Runs once now (if leader), outside the schedule. */
  runOnce(): Promise<PeriodicRunOutcome>;
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

/** An empty report for a namespace that had results before, so stale failures disappear. */
function emptied(namespace: string, template: PolicyReportObject): PolicyReportObject {
  return {
    apiVersion: template.apiVersion,
    kind: 'PolicyReport',
    metadata: { name: template.metadata.name, namespace, labels: template.metadata.labels },
    results: [],
    summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
  };
}

export function startPeriodicAudit(opts: PeriodicAuditOptions): PeriodicAudit {
  const write = opts.write ?? writePolicyReports;
  const listWritten = opts.listWritten ?? listReportNamespaces;
  // Namespaces that hold a report from an earlier run; undefined until read from the
  // cluster, because an earlier leader may have written them.
  let written: Set<string> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<PeriodicRunOutcome> | undefined;
  let stopped = false;

  async function run(): Promise<PeriodicRunOutcome> {
    const outcome = await attempt();
    opts.onRun?.(outcome);
    return outcome;
  }

  async function attempt(): Promise<PeriodicRunOutcome> {
    if (!opts.isLeader()) return { ran: false, reason: 'not-leader' };
    const started = Date.now();
    try {
      const audit = await auditCluster({
        kc: opts.kc,
        location: opts.location,
        policy: opts.getPolicy(),
        reviewer: opts.reviewer,
        warn: (message) => opts.logger.warn({}, `periodic audit: ${message}`),
      });
      if (!written) {
        try {
          written = await listWritten(opts.kc);
        } catch (err) {
          // Without the list, stale reports of an earlier leader stay until their namespace
          // has results again; not worth failing the run for.
          opts.logger.warn(
            { err: String(err).split('\n')[0] },
            'periodic audit: cannot list existing reports',
          );
          written = new Set();
        }
      }
      if (!opts.isLeader()) return { ran: true, ok: false, error: 'lost leadership' };
      const reports = buildPolicyReports(audit, { now: (opts.now ?? (() => new Date()))() });
      const now = new Set(reports.flatMap((r) => (r.metadata.namespace ? [r.metadata.namespace] : [])));
      const cluster = reports.at(-1)!;
      for (const ns of written) if (!now.has(ns)) reports.push(emptied(ns, cluster));
      const outcome = await write(opts.kc, reports, { shouldContinue: opts.isLeader });
      if (outcome.aborted) {
        opts.logger.warn({}, 'periodic audit: lost leadership while writing; stopped');
        written = undefined;
        return { ran: true, ok: false, error: 'lost leadership', write: outcome };
      }
      written = now;
      for (const f of outcome.failed) opts.logger.warn({ ...f }, 'periodic audit: cannot write report');
      opts.logger.info(
        { findings: audit.entries.length, reports: reports.length, ms: Date.now() - started },
        'periodic audit done',
      );
      return { ran: true, ok: true, findings: audit.entries.length, write: outcome };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      opts.logger.error({ error }, 'periodic audit failed; retrying at the next interval');
      return { ran: true, ok: false, error };
    }
  }

  function runOnce(): Promise<PeriodicRunOutcome> {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().finally(() => schedule(opts.intervalMs));
    }, delay);
    timer.unref();
  }

  schedule(opts.initialDelayMs ?? opts.intervalMs);
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
