/**
 * The cluster state the core reviews against. Adapters build it: the webhook from
 * informers, `check` from the manifests it reads plus a ranges file, audit from lists.
 */
import { PortInventory } from './inventory.js';
import { type ClusterRanges, defaultRanges } from './node-ranges.js';

export interface ClusterState {
  ranges: ClusterRanges;
  /** True when `ranges.nodes` lists every node (the Node informer has synced). */
  nodesComplete: boolean;
  inventory: PortInventory;
}

export function emptyState(ranges: ClusterRanges = defaultRanges()): ClusterState {
  return { ranges, nodesComplete: false, inventory: new PortInventory() };
}
