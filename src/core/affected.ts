/**
 * Which nodes could pick a port as an ephemeral source port. Services hold their node
 * ports on every node, so this walks every profile group (few) rather than every node.
 */
import type { ClusterRanges } from './node-ranges.js';
import { DEFAULT_NODES } from './placement.js';
import type { PortSet } from './portset.js';

export function nodesWithEphemeralPort(
  ranges: ClusterRanges,
  port: number,
  nodesComplete: boolean,
): string[] {
  const out: string[] = [];
  for (const g of ranges.profiles.values()) if (g.profile.unreserved.has(port)) out.push(...g.nodes);
  if (!nodesComplete && ranges.defaultProfile.unreserved.has(port)) out.push(DEFAULT_NODES);
  return out;
}

/** Nodes whose unreserved ephemeral range overlaps a set of ports at all. */
export function nodesOverlapping(ranges: ClusterRanges, ports: PortSet, nodesComplete: boolean): string[] {
  const out: string[] = [];
  for (const g of ranges.profiles.values()) if (g.profile.unreserved.overlaps(ports)) out.push(...g.nodes);
  if (!nodesComplete && ranges.defaultProfile.unreserved.overlaps(ports)) out.push(DEFAULT_NODES);
  return out;
}
