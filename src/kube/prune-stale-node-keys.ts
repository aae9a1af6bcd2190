/**
 * Removes the data of nodes that no longer exist: their `node.<name>` keys in the ranges
 * ConfigMap and their report objects (src/kube/node-reports.ts). Reporters only ever write
 * their own report, so nobody else cleans up after a node is deleted; the server's leader
 * runs this (see leader-election.ts). The garbage collector also deletes a report with its
 * Node through the report's owner reference; this covers reports written without one.
 *
 * It also finishes the migration from reporters that wrote into the ranges ConfigMap: a
 * `node.<name>` key that such a reporter wrote (it carries the label kubernetes.io/hostname,
 * see `isReporterCopy`) is removed once that node has a report object, which outranks it.
 *
 * A key is removed only when the node is missing from the caller's live node list AND a
 * direct GET of the node answers 404: a node that just joined may have written its key
 * before this replica's Node informer saw it, and its reporter writes again only when
 * its values change, so a wrong prune would not heal by itself. `startNodeKeyPruning` decides
 * when to prune while this replica leads.
 */
import { NODE_KEY_PREFIX } from '../core/node-ranges.js';
import { httpStatus } from './http-status.js';
import { CoreV1Api, type KubeConfig } from './k8s.js';
import type { KubeLogger } from './logger.js';
import { MERGE_PATCH } from './merge-patch.js';
import { reportObjectName } from './node-reports.js';
import { HOSTNAME_LABEL } from './ranges-model.js';

export interface PruneOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  configMapName: string;
  /**
   * Names of every node that exists. Pass it only when complete, e.g.
   * `state.ranges.nodes.keys()` when `state.nodesComplete` is true.
   */
  liveNodes: Iterable<string>;
  /** Nodes that have a report object (from the informer); their objects are candidates too. */
  reportedNodes?: Iterable<string>;
  logger: KubeLogger;
}

/** What one prune removed. */
export interface PruneResult {
  /** ConfigMap keys of deleted nodes, and reporters' copies replaced by a report object. */
  keys: string[];
  /** Report objects of deleted nodes. */
  reports: string[];
}

/** True when `value` is an entry an older reporter wrote (it copied every Node label). */
function isReporterCopyText(value: unknown): boolean {
  if (typeof value !== 'string' || !value.includes(HOSTNAME_LABEL)) return false;
  try {
    const labels = (JSON.parse(value) as { labels?: unknown }).labels;
    return typeof labels === 'object' && labels !== null && Object.hasOwn(labels, HOSTNAME_LABEL);
  } catch {
    return false;
  }
}

/**
 * Prunes with one merge patch of the ranges ConfigMap and one DELETE per stale report;
 * returns what it removed.
 */
export async function pruneStaleNodeKeys(opts: PruneOptions): Promise<PruneResult> {
  const api = opts.kubeConfig.makeApiClient(CoreV1Api);
  const { namespace, configMapName: name, logger } = opts;
  const live = new Set(opts.liveNodes);
  const reported = new Set(opts.reportedNodes ?? []);
  const cm = await readConfigMap(api, name, namespace);
  const data = cm?.data ?? {};
  const gone = new Map<string, boolean>();
  /** A node is gone only when the live list lacks it and a direct GET says 404. */
  const isGone = async (node: string, what: string): Promise<boolean> => {
    if (live.has(node)) return false;
    const known = gone.get(node);
    if (known !== undefined) return known;
    let answer = false;
    try {
      await api.readNode({ name: node });
    } catch (err) {
      if (httpStatus(err) === 404) answer = true;
      else
        logger.warn(
          { [what]: node, err: String(err).split('\n')[0] },
          'could not confirm node is gone; keeping its data',
        );
    }
    gone.set(node, answer);
    return answer;
  };
  const keys: string[] = [];
  for (const key of Object.keys(data)) {
    if (!key.startsWith(NODE_KEY_PREFIX)) continue;
    const node = key.slice(NODE_KEY_PREFIX.length);
    if (reported.has(node) && isReporterCopyText(data[key])) keys.push(key);
    else if (await isGone(node, 'key')) keys.push(key);
  }
  const reports: string[] = [];
  for (const node of reported) {
    if (!(await isGone(node, 'node'))) continue;
    const object = reportObjectName(name, node);
    try {
      await api.deleteNamespacedConfigMap({ name: object, namespace });
      reports.push(object);
    } catch (err) {
      if (httpStatus(err) === 404) continue; // the garbage collector was first
      logger.warn(
        { object, err: String(err).split('\n')[0] },
        'could not delete the report of a deleted node',
      );
    }
  }
  if (keys.length > 0) {
    const patch: Record<string, null> = {};
    for (const key of keys) patch[key] = null;
    await api.patchNamespacedConfigMap({ name, namespace, body: { data: patch } }, MERGE_PATCH);
  }
  if (keys.length > 0 || reports.length > 0)
    logger.info({ configMap: `${namespace}/${name}`, keys, reports }, 'pruned node data');
  return { keys, reports };
}

/** The ranges ConfigMap, or undefined when it does not exist (reports may still need pruning). */
async function readConfigMap(api: CoreV1Api, name: string, namespace: string) {
  try {
    return await api.readNamespacedConfigMap({ name, namespace });
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** The node names the server currently knows; a Map's keys or a Set both fit. */
export interface NodeNames {
  keys(): Iterable<string>;
  has(name: string): boolean;
}

export interface NodeKeyPruningOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  configMapName: string;
  logger: KubeLogger;
  /**
   * Every node that exists, or undefined while the node list is incomplete (then nothing
   * is pruned). The server passes `state.ranges.nodes` when `state.nodesComplete`.
   */
  liveNodes(): NodeNames | undefined;
  /** Nodes that have a report object; none when absent. */
  reportedNodes?(): Iterable<string>;
  /** Subscribes to cluster-state changes (to notice Node deletions); returns an unsubscribe. */
  onChange?(cb: () => void): () => void;
  /** Also prune this often, for keys written by nodes deleted while no replica led. */
  intervalMs: number;
  /** Coalesces bursts of Node deletions (a scale-down) into one prune. */
  debounceMs?: number;
  /** Injected for tests; defaults to `pruneStaleNodeKeys`. */
  prune?: (opts: PruneOptions) => Promise<PruneResult>;
}

export interface NodeKeyPruning {
  /** Stops the schedule and waits for a prune in progress. */
  stop(): Promise<void>;
}

export const DEFAULT_PRUNE_DEBOUNCE_MS = 2_000;

/**
 * Prunes on start, whenever a node disappears from the live list, and every `intervalMs`.
 * Prunes never overlap; a trigger during a prune runs one more afterwards. A failure is
 * logged and retried at the next trigger.
 */
export function startNodeKeyPruning(opts: NodeKeyPruningOptions): NodeKeyPruning {
  const prune = opts.prune ?? pruneStaleNodeKeys;
  const { logger } = opts;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  /** Waiting for the node list to be complete before the first prune. */
  let pending = true;
  let lastNodes: NodeNames | undefined;
  let debounce: NodeJS.Timeout | undefined;

  const runOnce = async (): Promise<void> => {
    const live = opts.liveNodes();
    if (!live) {
      pending = true;
      return;
    }
    pending = false;
    try {
      await prune({
        kubeConfig: opts.kubeConfig,
        namespace: opts.namespace,
        configMapName: opts.configMapName,
        liveNodes: live.keys(),
        ...(opts.reportedNodes ? { reportedNodes: opts.reportedNodes() } : {}),
        logger,
      });
    } catch (err) {
      logger.warn({ err: String(err).split('\n')[0] }, 'pruning stale node keys failed; will retry');
    }
  };

  const trigger = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await runOnce();
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  };

  const onChange = (): void => {
    const live = opts.liveNodes();
    const before = lastNodes;
    lastNodes = live;
    if (!live) return;
    // First complete list, or complete again after the Node informer restarted.
    if (pending || !before) {
      trigger();
      return;
    }
    // The state is rebuilt (a new map) only when nodes or the ConfigMap change, so the
    // common case, a pod or Service event, costs one comparison.
    if (before === live) return;
    for (const name of before.keys()) {
      if (live.has(name)) continue;
      clearTimeout(debounce);
      debounce = setTimeout(trigger, opts.debounceMs ?? DEFAULT_PRUNE_DEBOUNCE_MS);
      return;
    }
  };

  lastNodes = opts.liveNodes();
  const unsubscribe = opts.onChange?.(onChange);
  const interval = setInterval(trigger, opts.intervalMs);
  interval.unref();
  trigger();

  return {
    stop: async () => {
      stopped = true;
      unsubscribe?.();
      clearInterval(interval);
      clearTimeout(debounce);
      await running;
    },
  };
}
