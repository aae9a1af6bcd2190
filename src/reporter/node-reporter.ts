/**
 * The node reporter: publishes this node's ephemeral-port settings and labels into its
 * own `node.<nodeName>` key of the ranges ConfigMap.
 *
 * It writes with a JSON merge patch that names only its key, so reporters on thousands of
 * nodes never overwrite each other and need RBAC for `patch` on that one ConfigMap only.
 * It writes on start and then only when the entry's text changes, so a quiet fleet costs
 * the apiserver one GET node per node per interval and no writes.
 */
import { formatNodeEntry, NODE_KEY_PREFIX } from '../core/node-ranges.js';
import { CoreV1Api, type KubeConfig } from '../kube/k8s.js';
import type { KubeLogger } from '../kube/logger.js';
import { MERGE_PATCH } from '../kube/merge-patch.js';
import { readNodeSysctls } from './read-proc.js';

export interface NodeReporterOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  namespace: string;
  configMapName: string;
  /** Root of the proc tree, `/proc` or the host's mounted at `/host/proc`. */
  procRoot: string;
  logger: KubeLogger;
}

export interface ReportOutcome {
  /** True when a patch was sent. */
  written: boolean;
  key: string;
  entry: string;
}

export interface NodeReporter {
  /** Reads the node once and writes its entry if it differs from the last one written. */
  report(): Promise<ReportOutcome>;
}

export function createNodeReporter(opts: NodeReporterOptions): NodeReporter {
  const api = opts.kubeConfig.makeApiClient(CoreV1Api);
  const key = `${NODE_KEY_PREFIX}${opts.nodeName}`;
  let lastWritten: string | undefined;
  return {
    async report() {
      const sysctls = await readNodeSysctls(opts.procRoot);
      const node = await api.readNode({ name: opts.nodeName });
      const entry = formatNodeEntry({
        ipLocalPortRange: sysctls.ipLocalPortRange,
        ipLocalReservedPorts: sysctls.ipLocalReservedPorts,
        labels: node.metadata?.labels ?? {},
      });
      if (entry === lastWritten) return { written: false, key, entry };
      await api.patchNamespacedConfigMap(
        { name: opts.configMapName, namespace: opts.namespace, body: { data: { [key]: entry } } },
        MERGE_PATCH,
      );
      lastWritten = entry;
      opts.logger.info(
        { configMap: `${opts.namespace}/${opts.configMapName}`, key, ...sysctls },
        'node entry written',
      );
      return { written: true, key, entry };
    },
  };
}

/**
 * Reports now and then every `intervalMs` until `signal` aborts. A failed round is
 * logged and retried on the next tick; it never stops the loop.
 */
export async function runNodeReporter(
  reporter: NodeReporter,
  intervalMs: number,
  signal: AbortSignal,
  logger: KubeLogger,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await reporter.report();
    } catch (err) {
      logger.error({ err: String(err).split('\n')[0] }, 'node report failed; retrying next interval');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, intervalMs);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
