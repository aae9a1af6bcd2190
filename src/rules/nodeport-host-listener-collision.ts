/**
 * Rule `nodeport-host-listener-collision` (deny): a nodePort that some node's reporter
 * measured a listening socket on, with the same protocol. The NodePort rules apply on every
 * node, so that process (a node agent, a debugging server) loses its traffic to the Service,
 * as the hostNetwork pod in seed 002 did. A healthCheckNodePort there leaves kube-proxy's
 * health check server unable to bind it.
 *
 * What explains a listener, so it is not reported:
 * - a nodePort of another Service in the inventory: a kube-proxy from before the port opener
 *   was removed (kubernetes PR 108496) listens on every nodePort, and the apiserver refuses a
 *   duplicate nodePort anyway. The Service's own old version is the UPDATE's business: a port
 *   the old object already had gives the same finding there, which `review()` marks preexisting.
 * - a pod that binds the port on the node (hostNetwork containerPort or hostPort):
 *   `nodeport-hostport-collision` reports that pair, so it is not reported twice here as "a
 *   process outside Kubernetes". A pod scheduled to a node explains that node's listener only.
 *   A pod whose node is not known (a workload template in `check`, a DaemonSet, a pod without
 *   nodeName) may be what holds the port on any node, so it explains every node's listener.
 *   This never admits a Service that a listener should stop: whenever such a pod exists,
 *   `nodeport-hostport-collision` denies the Service itself, on every node. Judging the
 *   other way would blame "a process outside Kubernetes" for a DaemonSet's socket and send
 *   the user after the wrong culprit.
 *
 * A node whose listener list was cut at the reporter's cap and does not list the port may
 * hold it: that is an unknown `warn` (policy `unknownNodeWrites: deny` makes it a denial).
 * A node without listener evidence was never measured and gives nothing.
 */

import { hasListenerEvidence, nodesListeningOn, nodesMaybeListeningOn } from '../core/node-listeners.js';
import { objectKey, type ServicePortRef } from '../core/object-view.js';
import { formatRange } from '../core/portset.js';
import { asUnknown, describeNodes, type Rule } from '../core/rule-context.js';
import type { Finding, Protocol } from '../core/types.js';
import { ruleMeta } from './rule-meta.js';

/** `ss` options that list listening sockets of one protocol. */
const SS_FLAGS: Record<Protocol, string> = { TCP: '-lnt', UDP: '-lnu', SCTP: '-lnS' };

function onNodes(nodes: string[]): string {
  return `${nodes.length === 1 ? 'node' : 'nodes'} ${describeNodes(nodes)}`;
}

function consequence(ref: ServicePortRef): string {
  return ref.field === 'healthCheckNodePort'
    ? "kube-proxy's health check server cannot bind it there, and the load balancer's probes reach that process"
    : 'the NodePort rules would take its traffic';
}

export const meta = ruleMeta({
  id: 'nodeport-host-listener-collision',
  severity: 'deny',
  summary:
    "A nodePort equals a port a process outside Kubernetes listens on (the node reporter's measurement).",
  help:
    'The NodePort rules apply on every node and take the traffic before that listening socket sees it, as for ' +
    'a hostNetwork pod. Choose another nodePort, or move the process off the NodePort range. A node ' +
    "whose reporter's listener list was cut gives an unknown warning instead.",
  fixedByMovingNodePort: true,
});

export const nodeportHostListenerCollision: Rule = {
  meta,
  evaluate(ctx) {
    const { view, state } = ctx;
    const svc = view.service;
    if (!svc || !hasListenerEvidence(state.ranges)) return [];
    const self = objectKey(view);
    const range = formatRange(state.ranges.nodePortRange);
    const findings: Finding[] = [];
    for (const ref of svc.nodePorts) {
      if (ctx.isPlaceholder(ref)) continue;
      const { protocol, port } = ref;
      if (state.inventory.ownersOfClass('service', protocol, port, self).length > 0) continue;
      const pods = state.inventory.ownersOfClass('host', protocol, port, self);
      if (pods.some((o) => o.nodes === undefined)) continue;
      const podNodes = new Set(pods.flatMap((o) => o.nodes ?? []));
      const held = nodesListeningOn(state.ranges, protocol, port).filter((n) => !podNodes.has(n));
      if (held.length > 0) {
        findings.push(
          ctx.finding({
            rule: meta.id,
            severity: 'deny',
            path: ref.path,
            nodes: held,
            message:
              `${ref.field} ${port}/${protocol} is held by a listening socket on ${onNodes(held)} (a process ` +
              `outside Kubernetes: no known pod declares the port); ${consequence(ref)}. Choose another ` +
              `${ref.field}, or move that process off the NodePort range ${range}.`,
            ports: [port],
          }),
        );
        continue;
      }
      const maybe = nodesMaybeListeningOn(state.ranges, protocol, port).filter((n) => !podNodes.has(n));
      if (maybe.length > 0) {
        findings.push(
          asUnknown(
            ctx.finding({
              rule: meta.id,
              severity: 'warn',
              path: ref.path,
              nodes: maybe,
              message:
                `${ref.field} ${port}/${protocol} may be held by a listening socket on ${onNodes(maybe)}: the ` +
                "node reporter's list of listeners there was cut at its cap and does not show the port. " +
                `Check with ss ${SS_FLAGS[protocol]} 'sport = :${port}' on those nodes.`,
              ports: [port],
            }),
          ),
        );
      }
    }
    return findings;
  },
};
