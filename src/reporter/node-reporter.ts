/**
 * The node reporter: publishes what it measures on this node (ip_local_port_range,
 * ip_local_reserved_ports, the host's listening ports and the connections that use a
 * NodePort as their source port) into the node's own report object, a small ConfigMap
 * `<ranges ConfigMap>.<node>` labelled `portguard.io/node-report=v1` (src/kube/node-reports.ts).
 *
 * Why this shape (docs/cluster-state.md has the numbers): each write touches one object of
 * a few hundred bytes, so a fleet-wide rollout costs the apiserver and every watcher
 * O(nodes) bytes instead of O(nodes²), and no object nears the 1 MiB limit. Node labels are
 * not copied: the server reads them from its Nodes informer.
 *
 * Writes are a JSON merge patch of the whole (small) object, or a create when it does not
 * exist. The reporter writes on start and whenever what it measured changes; a change of
 * the source-port count alone (it moves all the time on a busy node) is written only when it
 * crosses zero or at the next resync, so a quiet node costs nothing and a busy one at most
 * one write per resync. Every resync re-sends the patch: the apiserver stores nothing when
 * nothing changed, and a deleted object is recreated.
 */
import { formatNodeEntry, NODE_KEY_PREFIX, type NodeEntryJson } from '../core/node-ranges.js';
import type { PortRange } from '../core/portset.js';
import { httpStatus } from '../kube/http-status.js';
import { CoreV1Api, type KubeConfig } from '../kube/k8s.js';
import type { KubeLogger } from '../kube/logger.js';
import { MERGE_PATCH } from '../kube/merge-patch.js';
import { NODE_REPORT_LABEL, NODE_REPORT_LABEL_VALUE, reportObjectName } from '../kube/node-reports.js';
import { readNodeSockets, type SocketCaps } from './proc-net.js';
import { readNodeSysctls } from './read-proc.js';

export interface NodeReporterOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  namespace: string;
  /** The ranges ConfigMap; the report object is named after it. */
  configMapName: string;
  /** Root of the proc tree, `/proc` or the host's mounted at `/host/proc`. */
  procRoot: string;
  /** The apiserver's --service-node-port-range: source ports inside it are counted. */
  nodePortRange: PortRange;
  /** Re-send the report this often even when nothing changed. */
  resyncMs: number;
  socketCaps?: Partial<SocketCaps>;
  logger: KubeLogger;
  now?: () => number;
}

export interface ReportOutcome {
  /** True when a write was sent. */
  written: boolean;
  /** The report object's name. */
  object: string;
  entry: string;
}

export interface NodeReporter {
  /** Measures the node once and writes its report when it changed or a resync is due. */
  report(): Promise<ReportOutcome>;
}

/** The entry with the source-port count reduced to zero / non-zero: what must be written at once. */
function urgentPart(entry: NodeEntryJson): string {
  const count = entry.nodePortSourcePorts?.count;
  return formatNodeEntry(
    count === undefined
      ? entry
      : { ...entry, nodePortSourcePorts: { ...entry.nodePortSourcePorts!, count: Math.sign(count) } },
  );
}

export function createNodeReporter(opts: NodeReporterOptions): NodeReporter {
  const api = opts.kubeConfig.makeApiClient(CoreV1Api);
  const now = opts.now ?? Date.now;
  const name = reportObjectName(opts.configMapName, opts.nodeName);
  const key = `${NODE_KEY_PREFIX}${opts.nodeName}`;
  let last: { entry: string; urgent: string; at: number } | undefined;
  let nodeUid: string | undefined;

  /** The Node's uid, for the owner reference that lets the garbage collector delete the report with its Node. */
  const ownerReferences = async () => {
    if (nodeUid === undefined) {
      try {
        nodeUid = (await api.readNode({ name: opts.nodeName })).metadata?.uid;
      } catch (err) {
        // Without it the report has no owner; the server's leader still prunes reports of deleted nodes.
        opts.logger.warn(
          { err: String(err).split('\n')[0] },
          'cannot read this Node; writing the report without an owner',
        );
      }
    }
    return nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: opts.nodeName, uid: nodeUid }] : undefined;
  };

  const write = async (entry: string): Promise<void> => {
    const owners = await ownerReferences();
    const metadata = {
      labels: { [NODE_REPORT_LABEL]: NODE_REPORT_LABEL_VALUE },
      ...(owners ? { ownerReferences: owners } : {}),
    };
    const patch = () =>
      api.patchNamespacedConfigMap(
        { name, namespace: opts.namespace, body: { metadata, data: { [key]: entry } } },
        MERGE_PATCH,
      );
    try {
      await patch();
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
      try {
        await api.createNamespacedConfigMap({
          namespace: opts.namespace,
          body: { metadata: { name, namespace: opts.namespace, ...metadata }, data: { [key]: entry } },
        });
      } catch (createErr) {
        // Another writer (a restarted reporter) created it between the two calls.
        if (httpStatus(createErr) !== 409) throw createErr;
        await patch();
      }
    }
  };

  return {
    async report() {
      const [sysctls, sockets] = await Promise.all([
        readNodeSysctls(opts.procRoot),
        readNodeSockets(opts.procRoot, opts.nodePortRange, opts.socketCaps),
      ]);
      const json: NodeEntryJson = { ...sysctls, ...sockets.evidence };
      const entry = formatNodeEntry(json);
      const urgent = urgentPart(json);
      const at = now();
      const resyncDue = !last || at - last.at >= opts.resyncMs;
      if (last && !resyncDue && (entry === last.entry || urgent === last.urgent)) {
        return { written: false, object: name, entry: last.entry };
      }
      // Re-read the uid at each resync: a Node deleted and recreated under the same name has a new one.
      if (last && resyncDue) nodeUid = undefined;
      await write(entry);
      last = { entry, urgent, at };
      opts.logger.info(
        {
          configMap: `${opts.namespace}/${name}`,
          ...sysctls,
          ...(sockets.diagnostics.notes.length > 0 ? { notes: sockets.diagnostics.notes } : {}),
        },
        'node report written',
      );
      return { written: true, object: name, entry };
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
