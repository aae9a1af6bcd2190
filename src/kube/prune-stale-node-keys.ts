/**
 * Removes `node.<name>` keys of nodes that no longer exist from the ranges ConfigMap.
 * Reporters only ever write their own key, so nobody else cleans up after a node is
 * deleted; the server's leader runs this (see leader-election.ts).
 *
 * A key is removed only when the node is missing from the caller's live node list AND a
 * direct GET of the node answers 404: a node that just joined may have written its key
 * before this replica's Node informer saw it, and its reporter writes again only when
 * its values change, so a wrong prune would not heal by itself. `startNodeKeyPruning` decides
 * when to prune while this replica leads.
 */
import { NODE_KEY_PREFIX } from '../core/node-ranges.js';
import { CoreV1Api, type KubeConfig } from './k8s.js';
import type { KubeLogger } from './logger.js';
import { MERGE_PATCH } from './merge-patch.js';

export interface PruneOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  configMapName: string;
  /**
   * Names of every node that exists. Pass it only when complete, e.g.
   * `state.ranges.nodes.keys()` when `state.nodesComplete` is true.
   */
  liveNodes: Iterable<string>;
  logger: KubeLogger;
}

function httpCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Prunes stale keys with one merge patch; returns the keys removed. */
export async function pruneStaleNodeKeys(opts: PruneOptions): Promise<string[]> {
  const api = opts.kubeConfig.makeApiClient(CoreV1Api);
  const { namespace, configMapName: name, logger } = opts;
  const live = new Set(opts.liveNodes);
  const cm = await api.readNamespacedConfigMap({ name, namespace });
  const candidates = Object.keys(cm.data ?? {}).filter(
    (k) => k.startsWith(NODE_KEY_PREFIX) && !live.has(k.slice(NODE_KEY_PREFIX.length)),
  );
  const stale: string[] = [];
  for (const key of candidates) {
    try {
      await api.readNode({ name: key.slice(NODE_KEY_PREFIX.length) });
    } catch (err) {
      if (httpCode(err) === 404) stale.push(key);
      else
        logger.warn(
          { key, err: String(err).split('\n')[0] },
          'could not confirm node is gone; keeping its key',
        );
    }
  }
  if (stale.length === 0) return [];
  const data: Record<string, null> = {};
  for (const key of stale) data[key] = null;
  await api.patchNamespacedConfigMap({ name, namespace, body: { data } }, MERGE_PATCH);
  logger.info({ configMap: `${namespace}/${name}`, keys: stale }, 'pruned keys of deleted nodes');
  return stale;
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
  /** Subscribes to cluster-state changes (to notice Node deletions); returns an unsubscribe. */
  onChange?(cb: () => void): () => void;
  /** Also prune this often, for keys written by nodes deleted while no replica led. */
  intervalMs: number;
  /** Coalesces bursts of Node deletions (a scale-down) into one prune. */
  debounceMs?: number;
  /** Injected for tests; defaults to `pruneStaleNodeKeys`. */
  prune?: (opts: PruneOptions) => Promise<string[]>;
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
