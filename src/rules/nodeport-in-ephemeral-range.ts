/**
 * Rule `nodeport-in-ephemeral-range` (deny): a nodePort that some node's kernel may
 * pick as a source port. The reply to that connection is captured by the NodePort
 * rules (kubelet probes from source port 32582 failed in the incident that started this).
 */
import { nodesOverlapping, nodesWithEphemeralPort } from '../core/affected.js';
import { formatLocalPortRange, formatRange } from '../core/portset.js';
import { describeNodes, type Rule } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';
import { ruleMeta } from './rule-meta.js';

export const meta = ruleMeta({
  id: 'nodeport-in-ephemeral-range',
  severity: 'deny',
  summary: "A nodePort lies inside some node's unreserved ephemeral port range.",
  help:
    'The kernel can pick the port as the source port of an outgoing connection; the reply is then captured ' +
    'by the NodePort rules and the connection fails (for example kubelet probes). Choose a nodePort outside ' +
    "every node's ip_local_port_range, or reserve it with net.ipv4.ip_local_reserved_ports on those nodes.",
  fixedBy: 'assignNodePorts',
  fixedByMovingNodePort: true,
});

export const nodeportInEphemeralRange: Rule = {
  meta,
  evaluate(ctx) {
    const svc = ctx.view.service;
    if (!svc) return [];
    const { ranges } = ctx.state;
    const findings: Finding[] = [];
    let unset = svc.unsetPorts.length;
    for (const ref of svc.nodePorts) {
      if (ctx.isPlaceholder(ref)) {
        unset++;
        continue;
      }
      const nodes = nodesWithEphemeralPort(ranges, ref.port, ctx.state.nodesComplete);
      if (nodes.length === 0) continue;
      const profile = ranges.nodes.get(nodes[0]!)?.profile ?? ranges.defaultProfile;
      // When a node's unreserved range covers the whole NodePort range, no nodePort is safe
      // there: the only fix is to reserve the NodePort range on that node.
      const noSafePort = ranges.nodePortSet.subtract(profile.unreserved).isEmpty();
      const fix = noSafePort
        ? `No nodePort is safe there: reserve the NodePort range on those nodes with ` +
          `net.ipv4.ip_local_reserved_ports=${formatRange(ranges.nodePortRange)} (or narrow their ` +
          'ip_local_port_range to end below it).'
        : `Pick a nodePort outside every node's unreserved ephemeral range, or add ${ref.port} to ` +
          'net.ipv4.ip_local_reserved_ports on those nodes.';
      findings.push(
        ctx.finding({
          rule: meta.id,
          severity: 'deny',
          path: ref.path,
          nodes,
          message:
            `${ref.field} ${ref.port} is inside the ephemeral port range (ip_local_port_range ` +
            `"${formatLocalPortRange(profile.ephemeral)}") of ${nodes.length} node(s): ${describeNodes(nodes)}; ` +
            'outgoing connections can use it as a source port and lose their replies to the NodePort rules. ' +
            fix,
          ports: [ref.port],
        }),
      );
    }
    if (unset > 0) {
      // Auto-allocation picks any free port in the range; warn when it could land badly.
      const nodes = nodesOverlapping(ranges, ranges.nodePortSet, ctx.state.nodesComplete);
      if (nodes.length > 0) {
        findings.push(
          ctx.finding({
            rule: meta.id,
            severity: 'warn',
            path: 'spec.ports',
            nodes,
            message:
              `${unset} nodePort(s) will be auto-allocated from ${formatRange(ranges.nodePortRange)}, which overlaps ` +
              `the unreserved ephemeral range of ${describeNodes(nodes)}; set explicit nodePorts ` +
              "outside that overlap (portguard's mutating webhook does this when enabled).",
          }),
        );
      }
    }
    return findings;
  },
};
