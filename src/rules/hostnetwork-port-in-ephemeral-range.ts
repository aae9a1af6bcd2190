/**
 * Rule `hostnetwork-port-in-ephemeral-range` (warn): a hostNetwork pod listens on a
 * port the node's kernel may hand out as a source port, so its bind can fail with
 * EADDRINUSE whenever an outgoing connection holds the port.
 */
import { hostPortsOf } from '../core/object-view.js';
import { formatLocalPortRange } from '../core/portset.js';
import { listNodes, type Rule } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';
import { ruleMeta } from './rule-meta.js';

export const meta = ruleMeta({
  id: 'hostnetwork-port-in-ephemeral-range',
  severity: 'warn',
  summary: "A hostNetwork pod listens on a port inside the node's ephemeral range.",
  help:
    'An outgoing connection can hold the port, and the bind fails with EADDRINUSE. Use a port below the range ' +
    'or reserve it with net.ipv4.ip_local_reserved_ports.',
});

export const hostnetworkPortInEphemeralRange: Rule = {
  meta,
  evaluate(ctx) {
    const pod = ctx.view.pod;
    if (!pod?.hostNetwork) return [];
    const findings: Finding[] = [];
    for (const ref of hostPortsOf(pod)) {
      const groups = ctx.profiles().filter((g) => g.profile.unreserved.has(ref.port));
      if (groups.length === 0) continue;
      const nodes = listNodes(groups);
      findings.push(
        ctx.finding({
          rule: meta.id,
          severity: 'warn',
          path: ref.path,
          nodes,
          message:
            `hostNetwork port ${ref.port}/${ref.protocol} is inside the ephemeral range ` +
            `"${formatLocalPortRange(groups[0]!.profile.ephemeral)}" of ${ctx.describeNodes(nodes)}; an outgoing connection ` +
            `can hold it and the bind fails with EADDRINUSE. Use a port below the range or add ${ref.port} to ` +
            'net.ipv4.ip_local_reserved_ports on those nodes.',
          ports: [ref.port],
        }),
      );
    }
    return findings;
  },
};
