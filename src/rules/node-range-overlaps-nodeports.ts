/**
 * Rule `node-range-overlaps-nodeports` (warn, audit only): a node whose kernel may pick a NodePort
 * as an ephemeral source port. It judges the cluster's node ranges, not an object.
 */
import { ruleMeta } from './rule-meta.js';

export const meta = ruleMeta({
  id: 'node-range-overlaps-nodeports',
  severity: 'warn',
  summary: "A node's ephemeral port range overlaps the NodePort range.",
  help: 'Keep the NodePort range and every node ephemeral range disjoint, or reserve the overlap on the nodes.',
});
