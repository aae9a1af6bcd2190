/**
 * `portguard serve`: runs the webhook from the options serve-options.ts made of the flags
 * (declared in commands/serve.ts). Cluster state comes from informers (`--kubeconfig FILE`
 * or `--kubeconfig in-cluster`), from a static ranges file (`--ranges FILE`), or from the
 * examples of `--dev` (serve-dev.ts).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';
import type { ClusterRanges, NodeInfo } from '../core/node-ranges.js';
import { DEFAULT_POLICY, type Policy } from '../core/policy.js';
import { createReviewer } from '../core/review.js';
import { REVIEW_BUDGET_DEFAULTS } from '../core/script-jobs.js';
import { emptyState } from '../core/state.js';
import type { AppDeps } from '../server/deps.js';
import type { ElectionTimings } from '../server/leader-jobs.js';
import { createMetrics, type Metrics } from '../server/metrics.js';
import { NodePortReservations } from '../server/nodeport-reservations.js';
import { createScriptOffload, scriptWorkerAvailable } from '../server/script-offload.js';
import { type ServerHandle, startServer } from '../server/serve.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../shell/index.js';
import { loadPolicyFile } from './check.js';
import { ExitCode } from './exit-codes.js';
import { loadRangesFile } from './ranges-file.js';
import { devBanner, devCertificates, devRanges } from './serve-dev.js';
import {
  DEFAULT_DRAIN_PERIOD,
  DEFAULT_PRUNE_INTERVAL,
  DEFAULT_REVIEW_DEADLINE,
  DEFAULT_SCRIPT_THREADS,
  NO_CLUSTER_STATE,
  resolveServeOptions,
  type ServeFlags,
  type ServeOptions,
  StartupError,
  type StateOptions,
} from './serve-options.js';

export type { ServeFlags };
export { DEFAULT_DRAIN_PERIOD, DEFAULT_PRUNE_INTERVAL, DEFAULT_REVIEW_DEADLINE, DEFAULT_SCRIPT_THREADS };

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

/**
 * Starts the informers. Imported lazily so `check`, `--ranges` and `--dev` never load
 * the Kubernetes client (and keep working where it cannot load).
 */
async function startInformers(
  state: StateOptions & { kind: 'kubeconfig' },
  logger: Logger,
  metrics: ReturnType<typeof createMetrics>,
) {
  const [{ loadKubeConfig }, { startClusterStateSource }] = await Promise.all([
    import('../kube/load-kubeconfig.js'),
    import('../kube/cluster-state-source.js'),
  ]);
  const kubeConfig = loadKubeConfig(state.kubeconfig);
  const { namespace, configMapName } = state;
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

/**
 * The script pool, unless `--script-threads 0`. Running from the TypeScript sources there
 * is no compiled worker module, so scripts are analysed on the event loop, as before.
 */
function startScriptOffload(
  options: ServeOptions,
  analyzer: ScriptAnalyzer,
  logger: Logger,
  metrics: Metrics,
) {
  const threads = options.scriptThreads;
  if (threads === 0) return undefined;
  if (!scriptWorkerAvailable()) {
    logger.warn('no compiled script worker (running from sources): scripts are analysed on the event loop');
    return undefined;
  }
  return createScriptOffload({
    analyzer,
    budget: REVIEW_BUDGET_DEFAULTS,
    threads,
    deadlineMs: options.reviewDeadlineMs,
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
    const options = resolveServeOptions(flags, io.cwd);
    const policy: Policy = options.policyFile ? await loadPolicyFile(options.policyFile) : DEFAULT_POLICY;
    if (options.devCertificates) await devCertificates(io.cwd, io.stderr);
    const { tls } = options;
    for (const f of [tls.certFile, tls.keyFile]) {
      if (!existsSync(f))
        throw new StartupError(`TLS file ${f} not found (set --tls-cert/--tls-key, or run portguard certs)`);
    }

    let source: Pick<AppDeps, 'getState' | 'isReady' | 'namespaceLabels'>;
    let cluster: Awaited<ReturnType<typeof startInformers>> | undefined;
    let configMapLookup: AppDeps['configMapLookup'];
    if (!options.state) throw new StartupError(NO_CLUSTER_STATE);
    if (options.state.kind === 'kubeconfig') {
      cluster = await startInformers(options.state, logger, metrics);
      const live = cluster.source;
      stops.push(() => live.stop());
      source = live;
      if (options.state.configMapLookup)
        configMapLookup = await startConfigMapLookup(cluster.kubeConfig, logger, metrics);
    } else {
      const ranges: ClusterRanges =
        options.state.kind === 'ranges'
          ? await loadRangesFile(options.state.file)
          : await devRanges(io.cwd, io.stderr);
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
    const scriptOffload = startScriptOffload(options, scripts, logger, metrics);
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
      port: options.port,
      host: options.host,
      healthPort: options.healthPort,
      healthHost: options.healthHost,
      tls,
      drainPeriodMs: options.drainPeriodMs,
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
          pruneIntervalMs: options.pruneIntervalMs,
          auditIntervalMs: options.auditIntervalMs,
          ...(io.election ? { election: io.election } : {}),
        });
        if (jobs) stops.push(() => jobs.stop());
      } catch (err) {
        await handle.close();
        throw err;
      }
    }
    if (options.dev) io.stderr(devBanner(handle, tls.certFile, io.cwd));
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
  // The logger sees a stream without flushSync: pino's fatal() calls it, and with a write in
  // flight it would put the crash line and everything buffered ahead of that write.
  const stream = { write: (line: string) => destination.write(line) };
  const logger = pino({ base: { app: 'portguard' } }, stream);
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
