/**
 * Removes `node.<name>` keys of nodes that no longer exist from the ranges ConfigMap.
 * Reporters only ever write their own key, so nobody else cleans up after a node is
 * deleted; the server's leader runs this (see leader-election.ts).
 *
 * A key is removed only when the node is missing from the caller's live node list AND a
 * direct GET of the node answers 404: a node that just joined may have written its key
 * before this replica's Node informer saw it, and its reporter writes again only when
 * its values change, so a wrong prune would not heal by itself.
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
