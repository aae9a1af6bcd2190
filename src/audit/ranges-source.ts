/**
 * Where audit's ranges come from: a file (`--ranges`, the what-if case, read by the same
 * loader as `check`) or the cluster's ConfigMap. With a Node list the ranges become
 * complete: every real node is present (nodes without an entry on the default profile),
 * with its live labels, so placement and node findings name real nodes.
 */

import { buildRanges, type ClusterRanges, type NodeInfo, parseNodeRanges } from '../core/node-ranges.js';
import { RangesFileError } from '../core/ranges-error.js';

/** Parses ConfigMap data from the cluster; any bad key is fatal for audit, which must not guess. */
export function rangesFromData(data: Record<string, unknown>, source: string): ClusterRanges {
  const { ranges, errors } = parseNodeRanges(data, source);
  if (errors.length > 0) throw new RangesFileError(source, errors);
  return ranges;
}

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
