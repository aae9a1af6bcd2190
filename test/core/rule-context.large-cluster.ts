/**
 * A cluster of thousands of nodes over a few range profiles, for rules that list nodes:
 * a finding names at most MAX_NODES_LISTED of them and counts the rest.
 */
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { viewOf } from '../../src/core/object-view.js';
import { placementOf, profilesOf } from '../../src/core/placement.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import type { Reviewer } from '../../src/core/review.js';
import { type ClusterState, emptyState } from '../../src/core/state.js';
import type { Finding, RuleId } from '../../src/core/types.js';

/** Profiles round-robin over the nodes, so every group is large and interleaved by name. */
export const PROFILES = [
  '{"ipLocalPortRange": "1024 65535"}',
  '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-32767"}',
  '{"ipLocalPortRange": "20000 60999"}',
  '{"ipLocalPortRange": "32768 60999"}',
];

export function largeState(nodes: number, profiles: readonly string[] = PROFILES): ClusterState {
  const data: Record<string, string> = {};
  for (let i = 0; i < nodes; i++) data[`node.w-${i}`] = profiles[i % profiles.length]!;
  const { ranges, errors } = parseNodeRanges(data, 'test');
  if (errors.length > 0) throw new Error(errors.join('; '));
  return emptyState(ranges);
}

/** Every node name of the groups of `object`'s placement that `pick` selects, in rule order. */
export function allNodesOf(
  object: unknown,
  state: ClusterState,
  pick: (g: ReturnType<typeof profilesOf>[number]) => boolean,
): string[] {
  const pod = viewOf(object)?.pod;
  if (!pod) throw new Error('not a pod');
  return profilesOf(placementOf(pod, state.ranges, state.nodesComplete), state.ranges)
    .filter(pick)
    .flatMap((g) => g.nodes);
}

export function findingsOf(
  reviewer: Reviewer,
  object: unknown,
  state: ClusterState,
  rule: RuleId,
): Finding[] {
  return reviewer
    .review({ operation: 'CREATE', object, dryRun: false }, state, DEFAULT_POLICY)
    .findings.filter((f) => f.rule === rule);
}
