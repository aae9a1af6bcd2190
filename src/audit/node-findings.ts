/**
 * Node-level finding `node-range-overlaps-nodeports` (warn): a node whose kernel may pick
 * a NodePort as an ephemeral source port. Object rules only see one object at a time, so
 * audit adds this finding from the ranges alone. Nodes are grouped by profile: a cluster
 * has few distinct profiles, and one finding per profile keeps reports readable.
 */
import type { ClusterRanges, NodeProfile } from '../core/node-ranges.js';
import { DEFAULT_NODES } from '../core/placement.js';
import { formatRange, type PortRange, type PortSet } from '../core/portset.js';
import { describeNodes, MAX_NODES_LISTED } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';

/** Kind used for node findings; there is no object, only the node (or the default profile). */
export const NODE_KIND = 'Node';

function rangeText(r: PortRange): string {
  return `${r.lo} ${r.hi}`;
}

/**
 * The narrower `ip_local_port_range` that keeps the larger part of the current range and
 * leaves out the NodePort range, or undefined when no part is left.
 */
export function narrowedRange(ephemeral: PortRange, nodePorts: PortRange): PortRange | undefined {
  const below =
    ephemeral.lo < nodePorts.lo
      ? { lo: ephemeral.lo, hi: Math.min(ephemeral.hi, nodePorts.lo - 1) }
      : undefined;
  const above =
    ephemeral.hi > nodePorts.hi
      ? { lo: Math.max(ephemeral.lo, nodePorts.hi + 1), hi: ephemeral.hi }
      : undefined;
  const size = (r: PortRange | undefined) => (r ? r.hi - r.lo + 1 : 0);
  const best = size(above) >= size(below) ? above : below;
  return best && size(best) > 0 ? best : undefined;
}

function message(nodes: string[], profile: NodeProfile, overlap: PortSet, ranges: ClusterRanges): string {
  const reserved = profile.reserved.isEmpty() ? 'none' : profile.reserved.toString();
  const merged = profile.reserved.union(overlap).toString();
  const narrow = narrowedRange(profile.ephemeral, ranges.nodePortRange);
  const who = nodes.length === 1 && nodes[0] !== DEFAULT_NODES ? `node ${nodes[0]}` : describeNodes(nodes);
  return (
    `${who}: ip_local_port_range "${rangeText(profile.ephemeral)}" (reserved: ${reserved}) overlaps the ` +
    `NodePort range ${formatRange(ranges.nodePortRange)} at ${overlap.toString()}, so outgoing connections can ` +
    'take a nodePort as source port and lose their replies. Fix: set net.ipv4.ip_local_reserved_ports to ' +
    `"${merged}" (the write replaces the whole list)` +
    (narrow ? ` or narrow net.ipv4.ip_local_port_range to "${rangeText(narrow)}"` : '') +
    '.'
  );
}

function findingName(nodes: string[]): string {
  if (nodes.length === 1) return nodes[0]!;
  return `${nodes[0]} (+${nodes.length - 1} with the same ranges)`;
}

/**
 * One finding per node profile whose unreserved ephemeral range overlaps the NodePort
 * range. When the node list is not complete, the default profile stands for the nodes
 * without an entry of their own (`*`), so a cluster on a bad default is not missed.
 */
export function nodeRangeFindings(ranges: ClusterRanges, nodesComplete: boolean): Finding[] {
  const groups: { profile: NodeProfile; nodes: string[] }[] = [];
  for (const g of ranges.profiles.values()) groups.push({ profile: g.profile, nodes: [...g.nodes].sort() });
  if (!nodesComplete) groups.push({ profile: ranges.defaultProfile, nodes: [DEFAULT_NODES] });
  const findings: Finding[] = [];
  for (const { profile, nodes } of groups) {
    const overlap = profile.unreserved.intersect(ranges.nodePortSet);
    if (overlap.isEmpty() || nodes.length === 0) continue;
    findings.push({
      rule: 'node-range-overlaps-nodeports',
      severity: 'warn',
      kind: NODE_KIND,
      namespace: '',
      name: findingName(nodes),
      path: 'ipLocalPortRange',
      nodes: nodes.slice(0, MAX_NODES_LISTED),
      nodeCount: nodes.length,
      message: message(nodes, profile, overlap, ranges),
    });
  }
  return findings.sort((a, b) => a.name.localeCompare(b.name));
}
