/**
 * Every rule's metadata, in the order `portguard rules`, SARIF and docs/rules.md list them:
 * the object rules (as `RULES` runs them), the node rules, then the two that are not rule
 * files' verdicts (the mode label guard's and the review's own fail-closed finding).
 */
import { meta as hazardousNodeSysctl } from './hazardous-node-sysctl.js';
import { meta as hostnetworkPortInEphemeralRange } from './hostnetwork-port-in-ephemeral-range.js';
import { meta as internalError } from './internal-error.js';
import { meta as namespaceModeLabel } from './namespace-mode-label.js';
import { meta as nodeNodeportSourcePortsInUse } from './node-nodeport-source-ports-in-use.js';
import { meta as nodeRangeOverlapsNodeports } from './node-range-overlaps-nodeports.js';
import { meta as nodeportHostListenerCollision } from './nodeport-host-listener-collision.js';
import { meta as nodeportHostportCollision } from './nodeport-hostport-collision.js';
import { meta as nodeportInEphemeralRange } from './nodeport-in-ephemeral-range.js';
import { meta as portRangeOverlapsNodeports } from './port-range-overlaps-nodeports.js';
import type { RuleMeta } from './rule-meta.js';

export const RULE_METAS = [
  nodeportInEphemeralRange,
  nodeportHostportCollision,
  nodeportHostListenerCollision,
  portRangeOverlapsNodeports,
  hazardousNodeSysctl,
  hostnetworkPortInEphemeralRange,
  nodeRangeOverlapsNodeports,
  nodeNodeportSourcePortsInUse,
  namespaceModeLabel,
  internalError,
] as const;

/** Rule ids are part of the public contract (docs, metrics, exemptions). */
export type RuleId = (typeof RULE_METAS)[number]['id'];

/** The ids a policy's exemptions may name. */
export const EXEMPTABLE_RULE_IDS: readonly RuleId[] = RULE_METAS.filter(
  (m) => m.exemptions !== 'refused',
).map((m) => m.id);

/** The rules whose findings `audit --fix` resolves by moving the Service's nodePort. */
export const NODEPORT_MOVE_RULE_IDS: readonly RuleId[] = RULE_METAS.filter(
  (m): boolean => 'fixedByMovingNodePort' in m && m.fixedByMovingNodePort === true,
).map((m) => m.id);

const BY_ID: ReadonlyMap<string, RuleMeta<RuleId>> = new Map(RULE_METAS.map((m) => [m.id, m]));

export function ruleMetaOf(id: RuleId): RuleMeta<RuleId> {
  return BY_ID.get(id)!;
}
