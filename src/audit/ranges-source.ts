/**
 * Audit's what-if ranges (`--ranges FILE`, read by the same loader as `check`) joined with
 * the cluster's Node list. The cluster's own node data is read by
 * src/kube/read-cluster-ranges.ts, which joins it with the Nodes through `composeRanges`.
 */

import { buildRanges, type ClusterRanges, type NodeInfo } from '../core/node-ranges.js';

/**
 * Ranges holding exactly the listed nodes: entries for nodes that no longer exist are
 * dropped, nodes without an entry get the default profile, labels come from the Node, and
 * the entry's measured evidence is kept.
 */
export function completeRanges(
  ranges: ClusterRanges,
  nodes: { name: string; labels: Record<string, string> }[],
): ClusterRanges {
  const out = new Map<string, NodeInfo>();
  for (const n of nodes) {
    const entry = ranges.nodes.get(n.name);
    const node: NodeInfo = {
      name: n.name,
      profile: entry?.profile ?? ranges.defaultProfile,
      labels: n.labels,
      labelsComplete: true,
    };
    // What the node's reporter measured (listeners, NodePort source ports) stays with the node.
    if (entry?.evidence) node.evidence = entry.evidence;
    out.set(n.name, node);
  }
  return buildRanges(ranges.nodePortRange, ranges.defaultProfile, out, ranges.source);
}
