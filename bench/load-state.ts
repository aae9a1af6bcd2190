/**
 * Loads the synthetic cluster the way the informers do: objects go through the kube
 * projections and `PortInventory.upsert`, the ConfigMap through `applyConfigMap`, and the
 * Node labels are joined in by `composeRanges` (src/kube/). Going through those
 * functions, not a shortcut, is what makes the figures describe the real server.
 */
import { PortInventory } from '../src/core/inventory.js';
import { EntryCache } from '../src/core/node-ranges.js';
import type { ClusterState } from '../src/core/state.js';
import { projectHostPortPod, projectNode, projectPod, projectService } from '../src/kube/projections.js';
import {
  applyConfigMap,
  applyConfigMapInSlices,
  composeRanges,
  type ParsedConfigMap,
} from '../src/kube/ranges-model.js';
import type { SyntheticCluster } from './synthetic.js';

export const SYNTHETIC_SOURCE = 'configmap portguard-system/portguard-node-ranges (synthetic)';

export interface LoadedState {
  state: ClusterState;
  config: ParsedConfigMap;
  /** Live node labels as the Node informer holds them. */
  liveNodes: Map<string, Record<string, string>>;
  /** The ConfigMap source's entry cache, kept across updates as the server keeps it. */
  entryCache: EntryCache;
  loadMs: number;
}

/** Builds the state from the informer projections; `nodesComplete` as after the Node sync. */
export function loadSyntheticState(cluster: SyntheticCluster): LoadedState {
  const t0 = performance.now();
  const liveNodes = new Map<string, Record<string, string>>();
  for (const n of cluster.nodeObjects) {
    const p = projectNode(n as never) as { metadata: { name: string; labels: Record<string, string> } };
    liveNodes.set(p.metadata.name, p.metadata.labels);
  }
  const entryCache = new EntryCache();
  const config = applyConfigMap(cluster.configMapData, undefined, entryCache);
  if (config.errors.length > 0) {
    throw new Error(`synthetic ConfigMap has errors: ${JSON.stringify(config.errors.slice(0, 3))}`);
  }
  const inventory = new PortInventory();
  for (const s of cluster.services) inventory.upsert(projectService(s as never));
  for (const p of cluster.pods) {
    const spec = p.spec as { hostNetwork?: boolean };
    inventory.upsert(spec.hostNetwork ? projectPod(p as never) : projectHostPortPod(p as never));
  }
  const state: ClusterState = {
    ranges: composeRanges(config, liveNodes, SYNTHETIC_SOURCE),
    nodesComplete: true,
    inventory,
  };
  return { state, config, liveNodes, entryCache, loadMs: performance.now() - t0 };
}

/**
 * Applies a new ConfigMap `data` the way the ConfigMap informer's update handler does:
 * the sliced, incremental parse against the previous version (yielding to the event loop
 * between slices), then one synchronous swap that re-joins it with the live nodes.
 * `slices` counts the yields, so the report can show the parse really was spread out.
 */
export async function applyRangesUpdate(
  loaded: LoadedState,
  data: Record<string, string>,
): Promise<{ state: ClusterState; config: ParsedConfigMap; slices: number }> {
  let slices = 1;
  const config = await applyConfigMapInSlices(data, loaded.config, {
    cache: loaded.entryCache,
    onYield: () => slices++,
  });
  if (!config) throw new Error('ConfigMap update was superseded; the benchmark sends one at a time');
  if (config.errors.length > 0) throw new Error(`ConfigMap update has errors: ${config.errors[0]?.message}`);
  const state: ClusterState = {
    ...loaded.state,
    ranges: composeRanges(config, loaded.liveNodes, SYNTHETIC_SOURCE),
  };
  return { state, config, slices };
}
