/**
 * Rule `node-range-overlaps-nodeports` (warn, audit only): a node whose kernel may pick a NodePort
 * as an ephemeral source port. It judges the cluster's node ranges, not an object: one finding
 * per node profile whose unreserved ephemeral range overlaps the NodePort range.
 */
import type { ClusterRanges, NodeProfile } from '../core/node-ranges.js';
import { DEFAULT_NODES } from '../core/placement.js';
import { formatRange, type PortSet } from '../core/portset.js';
import { describeNodes, type NodeRule } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';
import { byName, nodeFinding } from './node-finding.js';
import { fixText, rangeText, reservedText } from './node-range-fix.js';
import { ruleMeta } from './rule-meta.js';

export const meta = ruleMeta({
  id: 'node-range-overlaps-nodeports',
  severity: 'warn',
  summary: "A node's ephemeral port range overlaps the NodePort range.",
  help: 'Keep the NodePort range and every node ephemeral range disjoint, or reserve the overlap on the nodes.',
});

function message(nodes: string[], profile: NodeProfile, overlap: PortSet, ranges: ClusterRanges): string {
  const who = nodes.length === 1 && nodes[0] !== DEFAULT_NODES ? `node ${nodes[0]}` : describeNodes(nodes);
  return (
    `${who}: ip_local_port_range "${rangeText(profile.ephemeral)}" (reserved: ${reservedText(profile)}) overlaps the ` +
    `NodePort range ${formatRange(ranges.nodePortRange)} at ${overlap.toString()}, so outgoing connections can ` +
    `take a nodePort as source port and lose their replies. ${fixText(profile, overlap, ranges)}`
  );
}

/**
 * When the node list is not complete, the default profile stands for the nodes without an
 * entry of their own (`*`), so a cluster on a bad default is not missed.
 */
export const nodeRangeOverlapsNodeports: NodeRule = {
  meta,
  evaluate({ ranges, nodesComplete }) {
    const groups: { profile: NodeProfile; nodes: string[] }[] = [];
    for (const g of ranges.profiles.values()) groups.push({ profile: g.profile, nodes: [...g.nodes].sort() });
    if (!nodesComplete) groups.push({ profile: ranges.defaultProfile, nodes: [DEFAULT_NODES] });
    const findings: Finding[] = [];
    for (const { profile, nodes } of groups) {
      const overlap = profile.unreserved.intersect(ranges.nodePortSet);
      if (overlap.isEmpty() || nodes.length === 0) continue;
      findings.push(
        nodeFinding({
          rule: meta.id,
          severity: 'warn',
          path: 'ipLocalPortRange',
          nodes,
          message: message(nodes, profile, overlap, ranges),
        }),
      );
    }
    return findings.sort(byName);
  },
};
