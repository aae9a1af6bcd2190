/**
 * One-line descriptions and fixes per rule id, for SARIF rule metadata (code-scanning
 * UIs show them beside each alert) and any other output that explains a rule.
 */
import type { RuleId, Severity } from '../../core/types.js';

export interface RuleHelp {
  id: RuleId;
  severity: Severity;
  short: string;
  help: string;
}

export const RULE_HELP: readonly RuleHelp[] = [
  {
    id: 'nodeport-in-ephemeral-range',
    severity: 'deny',
    short: "A nodePort lies inside some node's unreserved ephemeral port range.",
    help:
      'The kernel can pick the port as the source port of an outgoing connection; the reply is then captured ' +
      'by the NodePort rules and the connection fails (for example kubelet probes). Choose a nodePort outside ' +
      "every node's ip_local_port_range, or reserve it with net.ipv4.ip_local_reserved_ports on those nodes.",
  },
  {
    id: 'nodeport-hostport-collision',
    severity: 'deny',
    short: 'A nodePort equals a port a pod binds on the node (hostNetwork containerPort or hostPort).',
    help:
      'The NodePort iptables/IPVS rules take the traffic before the listening socket sees it, so the pod gets ' +
      '"connection refused" or the Service steals its traffic. Move either the nodePort or the pod port.',
  },
  {
    id: 'nodeport-host-listener-collision',
    severity: 'deny',
    short:
      "A nodePort equals a port a process outside Kubernetes listens on (the node reporter's measurement).",
    help:
      'The NodePort rules apply on every node and take the traffic before that listening socket sees it, as for ' +
      'a hostNetwork pod. Choose another nodePort, or move the process off the NodePort range. A node ' +
      "whose reporter's listener list was cut gives an unknown warning instead.",
  },
  {
    id: 'port-range-overlaps-nodeports',
    severity: 'deny',
    short: 'A pod widens net.ipv4.ip_local_port_range over the NodePort range.',
    help:
      'On a hostNetwork pod a script that writes the sysctl changes the node, so NodePorts become source ports. ' +
      'Keep the range outside the NodePort range, reserve the overlap with net.ipv4.ip_local_reserved_ports, ' +
      'or guard the script with if [ "$POD_IP" != "$HOST_IP" ]. In the pod\'s own network namespace this is info only.',
  },
  {
    id: 'hazardous-node-sysctl',
    severity: 'deny',
    short: 'A script that reaches the node sets a sysctl known to break cluster networking.',
    help:
      'net.ipv4.tcp_tw_recycle=1 drops SYNs behind NAT; net.ipv4.ip_forward=0 and ' +
      'net.bridge.bridge-nf-call-iptables=0 break Service traffic. Remove the setting from the node script.',
  },
  {
    id: 'hostnetwork-port-in-ephemeral-range',
    severity: 'warn',
    short: "A hostNetwork pod listens on a port inside the node's ephemeral range.",
    help:
      'An outgoing connection can hold the port, and the bind fails with EADDRINUSE. Use a port below the range ' +
      'or reserve it with net.ipv4.ip_local_reserved_ports.',
  },
  {
    id: 'node-range-overlaps-nodeports',
    severity: 'warn',
    short: "A node's ephemeral port range overlaps the NodePort range.",
    help: 'Keep the NodePort range and every node ephemeral range disjoint, or reserve the overlap on the nodes.',
  },
  {
    id: 'node-nodeport-source-ports-in-use',
    severity: 'warn',
    short: 'A node reporter counted connections that use a NodePort as their source port right now.',
    help:
      'Replies to those connections can be captured by the NodePort rules, so kubelet probes and API calls fail at random. ' +
      'Reserve the NodePort range with net.ipv4.ip_local_reserved_ports on the node, or narrow its ' +
      'ip_local_port_range to end below the NodePort range.',
  },
  {
    id: 'internal-error',
    severity: 'deny',
    short: 'portguard could not finish checking the object.',
    help: 'The object was not fully checked, so it is denied. Report the object to the portguard maintainers.',
  },
];
