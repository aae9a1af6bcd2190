/**
 * Rule `node-nodeport-source-ports-in-use` (warn, audit only): a node whose reporter counted
 * connections that use a NodePort as their source port right now, the failure of seed 000 under
 * way. One finding per group of nodes (same profile, same counted range); nodes without that
 * evidence were never measured and give nothing.
 */
import type { ClusterRanges, NodeInfo, NodeProfile } from '../core/node-ranges.js';
import { formatRange, type PortRange } from '../core/portset.js';
import { describeNodes, type NodeRule } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';
import { byName, nodeFinding } from './node-finding.js';
import { fixText, rangeText, reservedText } from './node-range-fix.js';
import { ruleMeta } from './rule-meta.js';

export const meta = ruleMeta({
  id: 'node-nodeport-source-ports-in-use',
  severity: 'warn',
  summary: 'A node reporter counted connections that use a NodePort as their source port right now.',
  help:
    'Replies to those connections can be captured by the NodePort rules, so kubelet probes and API calls fail at random. ' +
    'Reserve the NodePort range with net.ipv4.ip_local_reserved_ports on the node, or narrow its ' +
    'ip_local_port_range to end below the NodePort range.',
});

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

function sourcePortsOf(node: NodeInfo): SourcePortNode | undefined {
  const seen = node.evidence?.nodePortSourcePorts;
  return seen && seen.count > 0 ? { name: node.name, count: seen.count, range: seen.range } : undefined;
}

/** In a group, the nodes with the most connections come first, so the names a capped list keeps are the worst ones. */
export const nodeNodeportSourcePortsInUse: NodeRule = {
  meta,
  evaluate({ ranges }) {
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
      findings.push(
        nodeFinding({
          rule: meta.id,
          severity: 'warn',
          path: 'nodePortSourcePorts',
          nodes: nodes.map((n) => n.name),
          message: sourcePortMessage(nodes, profile, ranges),
        }),
      );
    }
    return findings.sort(byName);
  },
};
