/**
 * Rule `nodeport-hostport-collision` (deny): a nodePort that a pod also binds on the
 * node (hostNetwork containerPort or hostPort). The NodePort rules take the traffic
 * before the listening socket sees it (seed 001 case b, seed 002). Checked both ways,
 * across namespaces, because node ports are node-global.
 */
import { hostPortsOf, objectKey } from '../core/object-view.js';
import { DEFAULT_NODES } from '../core/placement.js';
import { describeNodes, type Rule } from '../core/rule-context.js';
import type { Finding, PortOwner } from '../core/types.js';
import { ruleMeta } from './rule-meta.js';

function ownerName(o: PortOwner): string {
  return `${o.kind} ${o.namespace}/${o.name} (${o.path})`;
}

export const meta = ruleMeta({
  id: 'nodeport-hostport-collision',
  severity: 'deny',
  summary: 'A nodePort equals a port a pod binds on the node (hostNetwork containerPort or hostPort).',
  help:
    'The NodePort iptables/IPVS rules take the traffic before the listening socket sees it, so the pod gets ' +
    '"connection refused" or the Service steals its traffic. Move either the nodePort or the pod port.',
  fixedByMovingNodePort: true,
});

export const nodeportHostportCollision: Rule = {
  meta,
  evaluate(ctx) {
    const { view, state } = ctx;
    const self = objectKey(view);
    const findings: Finding[] = [];
    if (view.service) {
      for (const ref of view.service.nodePorts) {
        if (ctx.isPlaceholder(ref)) continue;
        const pods = state.inventory.ownersOfClass('host', ref.protocol, ref.port, self);
        if (pods.length === 0) continue;
        const nodes = [...new Set(pods.flatMap((o) => o.nodes ?? [DEFAULT_NODES]))];
        findings.push(
          ctx.finding({
            rule: meta.id,
            severity: 'deny',
            path: ref.path,
            nodes,
            message:
              `${ref.field} ${ref.port}/${ref.protocol} is already bound on the node by ${ownerName(pods[0]!)}` +
              `${pods.length > 1 ? ` and ${pods.length - 1} more` : ''} on ${describeNodes(nodes)}; the NodePort ` +
              'rules would take that traffic. Choose another nodePort or move the pod to another port.',
            ports: [ref.port],
          }),
        );
      }
    }
    if (view.pod) {
      for (const ref of hostPortsOf(view.pod)) {
        // Only Services: pods sharing this port (1,000 node exporters on 9100) are not visited.
        const services = state.inventory.ownersOfClass('service', ref.protocol, ref.port, self);
        if (services.length === 0) continue;
        // Built only on a collision: the list can hold every node of a large cluster.
        const podNodes = ctx.profiles().flatMap((g) => g.nodes);
        findings.push(
          ctx.finding({
            rule: meta.id,
            severity: 'deny',
            path: ref.path,
            nodes: podNodes,
            message:
              `${ref.via === 'hostPort' ? 'hostPort' : 'hostNetwork containerPort'} ${ref.port}/${ref.protocol} is ` +
              `also a nodePort of ${ownerName(services[0]!)}; on every node the NodePort rules take this ` +
              `traffic before the pod sees it. Use a port outside the NodePort range ` +
              `(${state.ranges.nodePortRange.lo}-${state.ranges.nodePortRange.hi}) or change the Service's nodePort.`,
            ports: [ref.port],
          }),
        );
      }
    }
    return findings;
  },
};
