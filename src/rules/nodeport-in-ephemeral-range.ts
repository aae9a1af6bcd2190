/**
 * Rule `nodeport-in-ephemeral-range` (deny): a nodePort that some node's kernel may
 * pick as a source port. The reply to that connection is captured by the NodePort
 * rules (seed 000: kubelet probes from source port 32582 failed).
 */
import { nodesOverlapping, nodesWithEphemeralPort } from '../core/affected.js';
import { formatRange } from '../core/portset.js';
import { describeNodes, type Rule } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';

export const nodeportInEphemeralRange: Rule = {
  id: 'nodeport-in-ephemeral-range',
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
      findings.push(
        ctx.finding(
          'nodeport-in-ephemeral-range',
          'deny',
          ref.path,
          nodes,
          `${ref.field} ${ref.port} is inside the ephemeral port range (ip_local_port_range ` +
            `${formatRange(profile.ephemeral)}) of ${nodes.length} node(s): ${describeNodes(nodes)}; ` +
            'outgoing connections can use it as a source port and lose their replies to the NodePort rules. ' +
            `Pick a nodePort outside every node's unreserved ephemeral range, or add ${ref.port} to ` +
            'net.ipv4.ip_local_reserved_ports on those nodes.',
          [ref.port],
        ),
      );
    }
    if (unset > 0) {
      // Auto-allocation picks any free port in the range; warn when it could land badly.
      const nodes = nodesOverlapping(ranges, ranges.nodePortSet, ctx.state.nodesComplete);
      if (nodes.length > 0) {
        findings.push(
          ctx.finding(
            'nodeport-in-ephemeral-range',
            'warn',
            'spec.ports',
            nodes,
            `${unset} nodePort(s) will be auto-allocated from ${formatRange(ranges.nodePortRange)}, which overlaps ` +
              `the unreserved ephemeral range of ${describeNodes(nodes)}; set explicit nodePorts ` +
              "outside that overlap (portguard's mutating webhook does this when enabled).",
          ),
        );
      }
    }
    return findings;
  },
};
