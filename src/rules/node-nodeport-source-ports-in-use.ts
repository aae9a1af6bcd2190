/**
 * Rule `node-nodeport-source-ports-in-use` (warn, audit only): a node whose reporter counted
 * connections that use a NodePort as their source port right now, the failure of seed 000 under way.
 */
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
