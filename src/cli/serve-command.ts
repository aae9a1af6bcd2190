/**
 * `portguard serve`: wires flags (declared in commands/serve.ts) into the webhook. Cluster state comes from informers
 * (`--kubeconfig FILE` or `--kubeconfig in-cluster`) or from a static ranges file
 * (`--ranges FILE`). `--dev` (what `npm start` runs) needs nothing: it generates a
 * self-signed certificate into certs/ when none is there, serves the example ranges and
 * prints a curl command that sends a sample review.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import { type ClusterRanges, type NodeInfo, parseNodeRanges } from '../core/node-ranges.js';
import { DEFAULT_POLICY, type Policy } from '../core/policy.js';
import { createReviewer } from '../core/review.js';
import { REVIEW_BUDGET_DEFAULTS } from '../core/script-jobs.js';
import { emptyState } from '../core/state.js';
import { parseDuration } from '../reporter/duration.js';
import type { AppDeps } from '../server/deps.js';
import type { ElectionTimings } from '../server/leader-jobs.js';
import { createMetrics, type Metrics } from '../server/metrics.js';
import { NodePortReservations } from '../server/nodeport-reservations.js';
import { createScriptOffload, scriptWorkerAvailable } from '../server/script-offload.js';
import { type ServerHandle, startServer } from '../server/serve.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../shell/index.js';
import { generateCertificates } from '../tls/generate.js';
import { writeCertificates } from '../tls/write-certs.js';
import { loadPolicyFile } from './check.js';
import {
  DEFAULT_DRAIN_PERIOD,
  DEFAULT_PRUNE_INTERVAL,
  DEFAULT_REVIEW_DEADLINE,
  DEFAULT_SCRIPT_THREADS,
} from './commands/serve.js';
import { ExitCode } from './exit-codes.js';
import { loadRangesFile } from './ranges-file.js';

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

export interface ServeIo {
  stderr: (s: string) => void;
  cwd: string;
  logger: Logger;
  /** Signals that trigger a graceful close; tests pass none. */
  signals?: NodeJS.Signals[];
  /** Leader-election identity: the action passes $POD_NAME (downward API), else the hostname. */
  identity?: string;
  /** Leader-election timings; tests shorten them. */
  election?: ElectionTimings;
}

export type ServeOutcome =
  | { code: ExitCode; handle?: undefined }
  | { code: ExitCode.Ok; handle: ServerHandle };

export { DEFAULT_DRAIN_PERIOD, DEFAULT_PRUNE_INTERVAL, DEFAULT_REVIEW_DEADLINE, DEFAULT_SCRIPT_THREADS };

export const DEV_RANGES_FILE = 'examples/node-ranges.yaml';
export const SAMPLE_REVIEW_FILE = 'examples/sample-review.json';

/**
 * Used by --dev when examples/node-ranges.yaml is missing: worker-1 is the seed-000 node
 * whose ephemeral range was widened over the NodePort range, so the sample review (a
 * Service on nodePort 32582) shows a denial.
 */
export const EMBEDDED_DEV_RANGES: Record<string, string> = {
  nodePortRange: '30000-32767',
  default: '{"ipLocalPortRange": "32768 60999"}',
  'node.worker-1': '{"ipLocalPortRange": "1024 65535", "labels": {"pool": "general"}}',
  'node.worker-2': '{"ipLocalPortRange": "32768 60999", "labels": {"pool": "general"}}',
};

/** The command `--dev` prints: paste it in another terminal to send the sample review. */
export function curlCommand(port: number, caFile: string): string {
  return (
    `curl --cacert ${caFile} -H 'Content-Type: application/json' ` +
    `--data @${SAMPLE_REVIEW_FILE} https://localhost:${port}/validate?timeout=10s`
  );
}

class StartupError extends Error {
  override readonly name = 'StartupError';
}

async function devCertificates(cwd: string, io: ServeIo): Promise<void> {
  const dir = path.join(cwd, 'certs');
  if (existsSync(path.join(dir, 'tls.crt')) && existsSync(path.join(dir, 'tls.key'))) return;
  const bundle = await generateCertificates({
    extraDnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  await writeCertificates(dir, bundle);
  io.stderr(`portguard: generated a self-signed CA and serving certificate in ${dir}\n`);
}

async function devRanges(cwd: string, io: ServeIo): Promise<ClusterRanges> {
  const file = path.join(cwd, DEV_RANGES_FILE);
  if (existsSync(file)) return loadRangesFile(file);
  io.stderr(`portguard: ${DEV_RANGES_FILE} not found; serving embedded example ranges\n`);
  return parseNodeRanges(EMBEDDED_DEV_RANGES, 'embedded example ranges').ranges;
}

/**
 * Starts the informers. Imported lazily so `check`, `--ranges` and `--dev` never load
 * the Kubernetes client (and keep working where it cannot load).
 */
async function startInformers(
  flags: ServeFlags & { kubeconfig: string },
  logger: Logger,
  metrics: ReturnType<typeof createMetrics>,
) {
  const [{ loadKubeConfig }, { startClusterStateSource, DEFAULT_NAMESPACE, DEFAULT_CONFIGMAP }] =
    await Promise.all([import('../kube/load-kubeconfig.js'), import('../kube/cluster-state-source.js')]);
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const namespace = flags.namespace || DEFAULT_NAMESPACE;
  const configMapName = flags.configmap || DEFAULT_CONFIGMAP;
  const source = startClusterStateSource({ kubeConfig, logger, metrics, namespace, configMapName });
  return { source, kubeConfig, namespace, configMapName };
}

/** Per ConfigMap read; all reads of a review run in parallel, well inside the webhook's 5 s. */
export const CONFIGMAP_LOOKUP_TIMEOUT_MS = 1_000;

/** The webhook's ConfigMap lookup (imported lazily for the same reason as the informers). */
async function startConfigMapLookup(
  kubeConfig: Awaited<ReturnType<typeof startInformers>>['kubeConfig'],
  logger: Logger,
  metrics: ReturnType<typeof createMetrics>,
) {
  const [{ createConfigMapReader }, { createConfigMapLookup }] = await Promise.all([
    import('../kube/configmap-reader.js'),
    import('../kube/configmap-lookup.js'),
  ]);
  return createConfigMapLookup({
    reader: createConfigMapReader(kubeConfig, CONFIGMAP_LOOKUP_TIMEOUT_MS),
    // Monotonic, like the reservations: a wall-clock step must not keep entries alive.
    now: () => performance.now(),
    logger,
    count: (outcome) => metrics.configMapLookups.inc({ outcome }),
  });
}

/** Parses a duration flag; a bad value is a start-up error (exit 2), not a crash. */
function durationFlag(name: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new StartupError(`--${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The script pool, unless `--script-threads 0`. Running from the TypeScript sources there
 * is no compiled worker module, so scripts are analysed on the event loop, as before.
 */
function startScriptOffload(flags: ServeFlags, analyzer: ScriptAnalyzer, logger: Logger, metrics: Metrics) {
  const threads = flags.scriptThreads ?? DEFAULT_SCRIPT_THREADS;
  const deadlineMs = durationFlag('review-deadline', flags.reviewDeadline ?? DEFAULT_REVIEW_DEADLINE);
  if (threads === 0) return undefined;
  if (!scriptWorkerAvailable()) {
    logger.warn('no compiled script worker (running from sources): scripts are analysed on the event loop');
    return undefined;
  }
  return createScriptOffload({
    analyzer,
    budget: REVIEW_BUDGET_DEFAULTS,
    threads,
    deadlineMs,
    onTask: (outcome) => metrics.scriptPoolTasks.inc({ outcome }),
  });
}

/** Starts the webhook; returns an exit code when it cannot (bad flags or files → 2). */
export async function runServe(flags: ServeFlags, io: ServeIo): Promise<ServeOutcome> {
  const { logger } = io;
  // Monotonic clock: a wall-clock step must not end or stretch reservations.
  const nodePortReservations = new NodePortReservations({ now: () => performance.now() });
  // The state source starts after the metrics (it reports into them); scrapes before that see no nodes.
  let currentNodes: () => ReadonlyMap<string, NodeInfo> = () => new Map();
  const metrics = createMetrics(undefined, {
    reservedNodePorts: () => nodePortReservations.liveCount(),
    nodes: () => currentNodes(),
  });
  // Undone in reverse order on close or on a failed start: leader jobs before informers.
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
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
    const policy: Policy = flags.config
      ? await loadPolicyFile(path.resolve(io.cwd, flags.config))
      : DEFAULT_POLICY;
    if (flags.dev && !flags.tlsCert && !flags.tlsKey) await devCertificates(io.cwd, io);
    const tls = {
      certFile: path.resolve(io.cwd, flags.tlsCert ?? 'certs/tls.crt'),
      keyFile: path.resolve(io.cwd, flags.tlsKey ?? 'certs/tls.key'),
      ...(flags.clientCa ? { clientCaFile: path.resolve(io.cwd, flags.clientCa) } : {}),
    };
    for (const f of [tls.certFile, tls.keyFile]) {
      if (!existsSync(f))
        throw new StartupError(`TLS file ${f} not found (set --tls-cert/--tls-key, or run portguard certs)`);
    }

    let source: Pick<AppDeps, 'getState' | 'isReady' | 'namespaceLabels'>;
    let cluster: Awaited<ReturnType<typeof startInformers>> | undefined;
    let configMapLookup: AppDeps['configMapLookup'];
    if (flags.kubeconfig) {
      cluster = await startInformers({ ...flags, kubeconfig: flags.kubeconfig }, logger, metrics);
      const live = cluster.source;
      stops.push(() => live.stop());
      source = live;
      if (flags.configmapLookup !== false)
        configMapLookup = await startConfigMapLookup(cluster.kubeConfig, logger, metrics);
    } else {
      let ranges: ClusterRanges;
      if (flags.ranges) ranges = await loadRangesFile(path.resolve(io.cwd, flags.ranges));
      else if (flags.dev) ranges = await devRanges(io.cwd, io);
      else
        throw new StartupError(
          'no cluster state: pass --kubeconfig FILE|in-cluster, --ranges FILE, or --dev',
        );
      // A static file lists the nodes it knows; the default profile covers any others.
      const state = emptyState(ranges);
      const detail = {
        source: ranges.source,
        clusterState: 'static file, no informers',
        nodes: ranges.nodes.size,
      };
      source = { getState: () => state, isReady: () => ({ ready: true, detail }) };
    }
    const stateSource = source;
    currentNodes = () => stateSource.getState().ranges.nodes;

    const scripts = await createScriptAnalyzer();
    const reviewer = createReviewer({ scripts, budget: REVIEW_BUDGET_DEFAULTS });
    const scriptOffload = startScriptOffload(flags, scripts, logger, metrics);
    if (scriptOffload) stops.push(() => scriptOffload.close());
    const handle = await startServer({
      deps: {
        reviewer,
        getState: source.getState,
        getPolicy: () => policy,
        isReady: source.isReady,
        // Live Namespace labels for `portguard.io/mode`; static state has none.
        ...(source.namespaceLabels ? { namespaceLabels: source.namespaceLabels } : {}),
        ...(configMapLookup ? { configMapLookup } : {}),
        ...(scriptOffload ? { scriptOffload } : {}),
        metrics,
        logger,
        nodePortReservations,
      },
      port: flags.port,
      host: flags.host ?? (flags.dev ? '127.0.0.1' : '0.0.0.0'),
      healthPort: flags.healthPort,
      healthHost: flags.host ?? (flags.dev ? '127.0.0.1' : '0.0.0.0'),
      tls,
      drainPeriodMs,
      signals: io.signals ?? [],
      onClose: stopAll,
    });
    logger.info({ port: handle.port, healthPort: handle.healthPort, mode: policy.mode }, 'portguard serving');
    if (cluster) {
      // Leader-only writes, off the admission path: reviews never wait for or cause them.
      try {
        const { startServerLeaderJobs } = await import('../server/leader-jobs.js');
        const jobs = startServerLeaderJobs({
          kubeConfig: cluster.kubeConfig,
          namespace: cluster.namespace,
          configMapName: cluster.configMapName,
          identity: io.identity || hostname(),
          getState: cluster.source.getState,
          onStateChange: cluster.source.onChange,
          reportedNodes: cluster.source.reportedNodes,
          reviewer,
          getPolicy: () => policy,
          logger,
          metrics,
          pruneIntervalMs,
          auditIntervalMs,
          ...(io.election ? { election: io.election } : {}),
        });
        if (jobs) stops.push(() => jobs.stop());
      } catch (err) {
        await handle.close();
        throw err;
      }
    }
    if (flags.dev) {
      io.stderr(
        `portguard: listening on https://localhost:${handle.port} (health on :${handle.healthPort})\n`,
      );
      io.stderr(
        `Send the sample review:\n  ${curlCommand(handle.port, path.relative(io.cwd, path.join(path.dirname(tls.certFile), 'ca.crt')) || 'ca.crt')}\n`,
      );
    }
    return { code: ExitCode.Ok, handle };
  } catch (err) {
    await stopAll();
    io.stderr(`portguard serve: ${err instanceof Error ? err.message : String(err)}\n`);
    return { code: ExitCode.BadInput };
  }
}

/**
 * The serve command's logger: JSON lines on stdout, written asynchronously, so a slow or full
 * log pipe never blocks the event loop and the reviews in flight. pino flushes the buffer
 * synchronously on `exit` and drains it on `beforeExit` (the loop ran dry after a graceful
 * close). A crash is different: that synchronous flush can overtake an asynchronous write still
 * in flight (or waiting to retry a full pipe) and put lines out of order, so an uncaught
 * exception ends the destination first, which finishes that write and then the rest, and only
 * then exits with 1. test/server/serve-logging.test.ts holds it to losing nothing.
 */
export function createServeLogger(fd = 1): Logger {
  const destination = pino.destination({ dest: fd, sync: false });
  const logger = pino({ base: { app: 'portguard' } }, destination);
  process.once('uncaughtException', (err) => exitAfterDrain(logger, destination, err));
  return logger;
}

/** How long a crashed process waits for stdout to take its last lines (a reader may be gone). */
const CRASH_DRAIN_MS = 5_000;

function exitAfterDrain(
  logger: Logger,
  destination: ReturnType<typeof pino.destination>,
  err: unknown,
): void {
  // What Node prints for an uncaught exception, on stderr, which is synchronous for pipes.
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  logger.fatal({ error: err instanceof Error ? err.name : typeof err }, 'uncaught exception; exiting');
  const exit = () => process.exit(1);
  setTimeout(exit, CRASH_DRAIN_MS);
  destination.once('close', exit);
  destination.end();
}

/** The `portguard serve` action (flags declared in commands/serve.ts): serves until SIGTERM or SIGINT. */
export async function serveAction(flags: ServeFlags): Promise<ExitCode> {
  const logger = createServeLogger();
  const outcome = await runServe(flags, {
    stderr: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    logger,
    signals: ['SIGTERM', 'SIGINT'],
    // The pod name from the downward API (manifests/base/deployment.yaml), unique per replica.
    identity: process.env['POD_NAME'] || hostname(),
  });
  if (!outcome.handle) return outcome.code;
  await outcome.handle.closed;
  // Anything still holding the loop (a stuck watch) must not outlive the pod's grace period.
  setTimeout(() => process.exit(ExitCode.Ok), 2_000).unref();
  return ExitCode.Ok;
}
