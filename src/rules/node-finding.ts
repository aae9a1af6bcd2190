/**
 * The finding of a node rule: there is no object, only the nodes (or the default profile).
 * Nodes are grouped by profile, since a cluster has few distinct profiles and one finding per
 * profile (with the same fix for every node in it) keeps reports readable on large fleets.
 */
import { MAX_NODES_LISTED } from '../core/rule-context.js';
import type { Finding, RuleId, Severity } from '../core/types.js';

/** Kind used for node findings. */
export const NODE_KIND = 'Node';

export interface NodeFindingSpec {
  rule: RuleId;
  severity: Severity;
  /** The node data key the finding is about, e.g. `ipLocalPortRange`. */
  path: string;
  /** Every node of the group, the ones to name first. */
  nodes: string[];
  message: string;
}

export function nodeFinding({ rule, severity, path, nodes, message }: NodeFindingSpec): Finding {
  return {
    rule,
    severity,
    kind: NODE_KIND,
    namespace: '',
    name: nodes.length === 1 ? nodes[0]! : `${nodes[0]} (+${nodes.length - 1} with the same ranges)`,
    path,
    nodes: nodes.slice(0, MAX_NODES_LISTED),
    nodeCount: nodes.length,
    message,
  };
}

/** Node findings in report order: by name. */
export function byName(a: Finding, b: Finding): number {
  return a.name.localeCompare(b.name);
}
