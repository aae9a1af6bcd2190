/**
 * `portguard serve` flags (declared in commands/serve.ts) turned into what the run needs:
 * durations in milliseconds, paths resolved, defaults filled in, and the flag combinations
 * that make no sense refused. Reads no file and starts nothing, so every flag rule can be
 * tested on its own; serve-command.ts runs the result.
 */
import path from 'node:path';
import { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE } from '../kube/defaults.js';
import { parseDuration } from '../reporter/duration.js';
import {
  DEFAULT_DRAIN_PERIOD,
  DEFAULT_PRUNE_INTERVAL,
  DEFAULT_REVIEW_DEADLINE,
  DEFAULT_SCRIPT_THREADS,
} from './commands/serve.js';

export { DEFAULT_DRAIN_PERIOD, DEFAULT_PRUNE_INTERVAL, DEFAULT_REVIEW_DEADLINE, DEFAULT_SCRIPT_THREADS };

export interface ServeFlags {
  port: number;
  healthPort: number;
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  ranges?: string;
  /** A kubeconfig path, or `in-cluster` for the pod's service account. */
  kubeconfig?: string;
  config?: string;
  dev?: boolean;
  /** With --kubeconfig: the leader writes PolicyReports this often (e.g. `10m`); off when unset. */
  auditInterval?: string;
  /**
   * The leader prunes stale node keys. The CLI defaults it to true (`--no-prune-node-keys`
   * turns it off); in-process callers such as `portguard dev`, a developer's process
   * against a real cluster, leave it unset and so never take the Lease or write.
   */
  pruneNodeKeys?: boolean;
  /** How often the leader prunes besides on start and on Node deletions (default 10m). */
  pruneInterval?: string;
  /** With --kubeconfig: namespace of the ranges ConfigMap and the leader Lease (default portguard-system). */
  namespace?: string;
  /** With --kubeconfig: name of the ranges ConfigMap (default portguard-node-ranges). */
  configmap?: string;
  /**
   * With --kubeconfig: read the ConfigMaps that node-reaching pods' scripts use (needs `get`
   * on configmaps cluster-wide). On unless false (`--no-configmap-lookup`).
   */
  configmapLookup?: boolean;
  /**
   * After SIGTERM, serve this long while not ready, closing each connection after its answer
   * (the CLI defaults it to 10s; `0` closes at once). Unset for in-process callers: no drain.
   */
  drainPeriod?: string;
  /** Worker threads that analyse scripts off the event loop (default 1); 0 analyses on it. */
  scriptThreads?: number;
  /** How long a review waits for the script pool (default 3s, below the 5 s webhook timeout). */
  reviewDeadline?: string;
}

/** Where the cluster state comes from. */
export type StateOptions =
  | {
      kind: 'kubeconfig';
      kubeconfig: string;
      namespace: string;
      configMapName: string;
      /** Read the ConfigMaps that node-reaching pods' scripts use. */
      configMapLookup: boolean;
    }
  | { kind: 'ranges'; file: string }
  /** The example ranges of `--dev` (serve-dev.ts). */
  | { kind: 'dev' };

export interface ServeOptions {
  port: number;
  healthPort: number;
  host: string;
  healthHost: string;
  tls: { certFile: string; keyFile: string; clientCaFile?: string };
  /** The policy file, resolved; unset: the default policy. */
  policyFile?: string;
  dev: boolean;
  /** `--dev` without TLS flags: a self-signed pair is generated into certs/ when none is there. */
  devCertificates: boolean;
  /**
   * Unset when no flag names a source. That is refused only after the TLS files are checked,
   * so a first `portguard serve` without certificates is told about those first.
   */
  state?: StateOptions;
  auditIntervalMs?: number;
  /** Set only when the leader prunes (`pruneNodeKeys: true`). */
  pruneIntervalMs?: number;
  drainPeriodMs: number;
  scriptThreads: number;
  reviewDeadlineMs: number;
}

/** Bad flags or files: reported as `portguard serve: <message>`, exit 2, never a crash. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export const NO_CLUSTER_STATE =
  'no cluster state: pass --kubeconfig FILE|in-cluster, --ranges FILE, or --dev';

/** Parses a duration flag; a bad value is a start-up error. */
function durationFlag(name: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new StartupError(`--${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function stateOf(flags: ServeFlags, cwd: string): StateOptions | undefined {
  if (flags.kubeconfig)
    return {
      kind: 'kubeconfig',
      kubeconfig: flags.kubeconfig,
      namespace: flags.namespace || DEFAULT_NAMESPACE,
      configMapName: flags.configmap || DEFAULT_CONFIGMAP,
      configMapLookup: flags.configmapLookup !== false,
    };
  if (flags.ranges) return { kind: 'ranges', file: path.resolve(cwd, flags.ranges) };
  if (flags.dev) return { kind: 'dev' };
  return undefined;
}

/** Checks and converts the flags; throws a StartupError naming the flag that is wrong. */
export function resolveServeOptions(flags: ServeFlags, cwd: string): ServeOptions {
  if (flags.ranges && flags.kubeconfig)
    throw new StartupError('use either --ranges or --kubeconfig, not both');
  if (flags.auditInterval && !flags.kubeconfig)
    throw new StartupError('--audit-interval needs --kubeconfig (it writes PolicyReports to the cluster)');
  if (flags.configmap && !flags.kubeconfig)
    throw new StartupError('--configmap needs --kubeconfig (it names the ConfigMap to watch)');
  const auditIntervalMs = flags.auditInterval
    ? durationFlag('audit-interval', flags.auditInterval)
    : undefined;
  const pruneIntervalMs =
    flags.pruneNodeKeys !== true
      ? undefined
      : durationFlag('prune-interval', flags.pruneInterval ?? DEFAULT_PRUNE_INTERVAL);
  const drainPeriodMs =
    flags.drainPeriod === undefined || flags.drainPeriod === '0'
      ? 0
      : durationFlag('drain-period', flags.drainPeriod);
  // Checked even with --script-threads 0, so a typo never waits for the day the pool is on.
  const reviewDeadlineMs = durationFlag('review-deadline', flags.reviewDeadline ?? DEFAULT_REVIEW_DEADLINE);
  const dev = flags.dev === true;
  // --dev listens on loopback only: it serves example data with a throwaway CA.
  const host = flags.host ?? (dev ? '127.0.0.1' : '0.0.0.0');
  const state = stateOf(flags, cwd);
  return {
    port: flags.port,
    healthPort: flags.healthPort,
    host,
    healthHost: host,
    tls: {
      certFile: path.resolve(cwd, flags.tlsCert ?? 'certs/tls.crt'),
      keyFile: path.resolve(cwd, flags.tlsKey ?? 'certs/tls.key'),
      ...(flags.clientCa ? { clientCaFile: path.resolve(cwd, flags.clientCa) } : {}),
    },
    ...(flags.config ? { policyFile: path.resolve(cwd, flags.config) } : {}),
    dev,
    devCertificates: dev && !flags.tlsCert && !flags.tlsKey,
    ...(state ? { state } : {}),
    ...(auditIntervalMs !== undefined ? { auditIntervalMs } : {}),
    ...(pruneIntervalMs !== undefined ? { pruneIntervalMs } : {}),
    drainPeriodMs,
    scriptThreads: flags.scriptThreads ?? DEFAULT_SCRIPT_THREADS,
    reviewDeadlineMs,
  };
}
