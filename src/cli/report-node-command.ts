/**
 * `portguard report-node`: the DaemonSet command that keeps this node's report object
 * (`<ranges ConfigMap>.<node>`) current. The flags (and NODE_NAME) are declared in
 * commands/report-node.ts, checked here; the work is in src/reporter.
 */
import { pino } from 'pino';
import { type PortRange, parseNodePortRange } from '../core/portset.js';
import { loadKubeConfig } from '../kube/load-kubeconfig.js';
import type { KubeLogger } from '../kube/logger.js';
import { parseDuration } from '../reporter/duration.js';
import { createNodeReporter, type NodeReporter, runNodeReporter } from '../reporter/node-reporter.js';
import { ExitCode } from './exit-codes.js';

export interface ReportNodeFlags {
  nodeName?: string;
  namespace: string;
  configmap: string;
  kubeconfig: string;
  proc: string;
  interval: string;
  resync: string;
  nodePortRange: string;
  once?: boolean;
}

interface FlagError {
  flag: string;
  message: string;
}

function parseFlag<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw { flag, message: (err as Error).message } satisfies FlagError;
  }
}

/** Runs the command; resolves to its exit code. Exported for in-process tests. */
export async function reportNode(
  flags: ReportNodeFlags,
  logger: KubeLogger,
  signal: AbortSignal,
): Promise<ExitCode> {
  if (!flags.nodeName) {
    logger.error({}, 'no node name: pass --node-name or set NODE_NAME (downward API spec.nodeName)');
    return ExitCode.BadInput;
  }
  let intervalMs: number;
  let resyncMs: number;
  let nodePortRange: PortRange;
  let reporter: NodeReporter;
  try {
    intervalMs = parseFlag('--interval', () => parseDuration(flags.interval));
    resyncMs = parseFlag('--resync', () => parseDuration(flags.resync));
    nodePortRange = parseFlag('--node-port-range', () => parseNodePortRange(flags.nodePortRange));
    const kubeConfig = parseFlag('--kubeconfig', () => loadKubeConfig(flags.kubeconfig));
    reporter = parseFlag('--node-name', () =>
      createNodeReporter({
        kubeConfig,
        nodeName: flags.nodeName as string,
        namespace: flags.namespace,
        configMapName: flags.configmap,
        procRoot: flags.proc,
        nodePortRange,
        resyncMs,
        logger,
      }),
    );
  } catch (err) {
    const { flag, message } = err as FlagError;
    logger.error({ flag }, message);
    return ExitCode.BadInput;
  }
  if (flags.once) {
    try {
      await reporter.report();
      return ExitCode.Ok;
    } catch (err) {
      logger.error({ err: String(err).split('\n')[0] }, 'node report failed');
      // No dedicated code for "cluster unreachable"; BadInput keeps it distinct from Ok.
      return ExitCode.BadInput;
    }
  }
  await runNodeReporter(reporter, intervalMs, signal, logger);
  return ExitCode.Ok;
}

/** The `portguard report-node` action (flags declared in commands/report-node.ts): runs until SIGTERM. */
export async function reportNodeAction(flags: ReportNodeFlags): Promise<ExitCode> {
  const logger = pino({ name: 'portguard-report-node' }, pino.destination(2));
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    return await reportNode(flags, logger, controller.signal);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
