/**
 * Node-level findings, which audit adds from the ranges alone (object rules only see one
 * object at a time):
 * - `node-range-overlaps-nodeports` (warn): a node whose kernel may pick a NodePort as an
 *   ephemeral source port;
 * - `node-nodeport-source-ports-in-use` (warn): a node whose reporter counted connections that
 *   use a NodePort as their source port right now, the failure of seed 000 under way.
 * Nodes are grouped by profile: a cluster has few distinct profiles, and one finding per
 * profile (with the same fix for every node in it) keeps reports readable on large fleets.
 */
import type { ClusterRanges, NodeInfo, NodeProfile } from '../core/node-ranges.js';
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

function reservedText(profile: NodeProfile): string {
  return profile.reserved.isEmpty() ? 'none' : profile.reserved.toString();
}

/** The two ways to keep `overlap` out of the node's source ports, as one "Fix: ..." sentence. */
function fixText(profile: NodeProfile, overlap: PortSet, ranges: ClusterRanges): string {
  const merged = profile.reserved.union(overlap).toString();
  const narrow = narrowedRange(profile.ephemeral, ranges.nodePortRange);
  return (
    `Fix: set net.ipv4.ip_local_reserved_ports to "${merged}" (the write replaces the whole list)` +
    (narrow ? ` or narrow net.ipv4.ip_local_port_range to "${rangeText(narrow)}"` : '') +
    '.'
  );
}

function message(nodes: string[], profile: NodeProfile, overlap: PortSet, ranges: ClusterRanges): string {
  const who = nodes.length === 1 && nodes[0] !== DEFAULT_NODES ? `node ${nodes[0]}` : describeNodes(nodes);
  return (
    `${who}: ip_local_port_range "${rangeText(profile.ephemeral)}" (reserved: ${reservedText(profile)}) overlaps the ` +
    `NodePort range ${formatRange(ranges.nodePortRange)} at ${overlap.toString()}, so outgoing connections can ` +
    `take a nodePort as source port and lose their replies. ${fixText(profile, overlap, ranges)}`
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

/** A node whose reporter counted connections from a NodePort, and what it counted. */
interface SourcePortNode {
  name: string;
  count: number;
  /** The range the reporter counted against (it may differ from the cluster's). */
  range: PortRange;
}

function sourcePortMessage(group: SourcePortNode[], profile: NodeProfile, ranges: ClusterRanges): string {
  const npr = ranges.nodePortRange;
  const measured = group[0]!.range;
  const total = group.reduce((n, g) => n + g.count, 0);
  const who =
    group.length === 1
      ? `node ${group[0]!.name}: ${total} ${total === 1 ? 'connection uses' : 'connections use'}`
      : `nodes ${describeNodes(
          group.map((g) => `${g.name} (${g.count})`),
          3,
        )}: ${total} connections in all use`;
  const where =
    measured.lo === npr.lo && measured.hi === npr.hi
      ? `the NodePort range ${formatRange(npr)}`
      : `${formatRange(measured)} (the range the node reporter counted against; the cluster's NodePort range is ` +
        `${formatRange(npr)})`;
  // What automatic port assignment could hand out from the NodePort range on this profile.
  const overlap = profile.unreserved.intersect(ranges.nodePortSet);
  const cause = overlap.isEmpty()
    ? ` The node's ip_local_port_range "${rangeText(profile.ephemeral)}" (reserved: ${reservedText(profile)}) ` +
      'already keeps NodePorts out of automatic source ports, so these sockets were bound to their ports ' +
      'explicitly (a reserved port does not stop bind) or opened before the range changed. Find them with ' +
      `ss -tunp '( sport >= :${npr.lo} and sport <= :${npr.hi} )' and make them use ports outside the NodePort range.`
    : ` ${fixText(profile, overlap, ranges)} Connections already open keep their ports until they close.`;
  return (
    `${who} a port in ${where} as source port right now; their replies can be captured by the NodePort ` +
    `rules (kubelet probes and API server calls fail at random this way).${cause}`
  );
}

/**
 * One finding per group of nodes (same profile, same counted range) whose reporter counted
 * connections with a source port in the NodePort range. Nodes without that evidence were
 * never measured and give nothing. In a group, the nodes with the most connections come
 * first, so the names a capped list keeps are the worst ones.
 */
export function nodeSourcePortFindings(ranges: ClusterRanges): Finding[] {
  const groups = new Map<string, { profile: NodeProfile; nodes: SourcePortNode[] }>();
  for (const node of ranges.nodes.values()) {
    const seen = sourcePortsOf(node);
    if (!seen) continue;
    const key = `${node.profile.key}|${seen.range.lo}-${seen.range.hi}`;
    let g = groups.get(key);
    if (!g) {
      g = { profile: node.profile, nodes: [] };
      groups.set(key, g);
    }
    g.nodes.push(seen);
  }
  const findings: Finding[] = [];
  for (const { profile, nodes } of groups.values()) {
    nodes.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    const names = nodes.map((n) => n.name);
    findings.push({
      rule: 'node-nodeport-source-ports-in-use',
      severity: 'warn',
      kind: NODE_KIND,
      namespace: '',
      name: findingName(names),
      path: 'nodePortSourcePorts',
      nodes: names.slice(0, MAX_NODES_LISTED),
      nodeCount: names.length,
      message: sourcePortMessage(nodes, profile, ranges),
    });
  }
  return findings.sort((a, b) => a.name.localeCompare(b.name));
}

function sourcePortsOf(node: NodeInfo): SourcePortNode | undefined {
  const seen = node.evidence?.nodePortSourcePorts;
  return seen && seen.count > 0 ? { name: node.name, count: seen.count, range: seen.range } : undefined;
}
