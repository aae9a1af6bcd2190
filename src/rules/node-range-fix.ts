/** How to keep the NodePort range out of a node's source ports, as the node rules advise it. */
import type { ClusterRanges, NodeProfile } from '../core/node-ranges.js';
import type { PortRange, PortSet } from '../core/portset.js';

/** A range as `ip_local_port_range` is written. */
export function rangeText(r: PortRange): string {
  return `${r.lo} ${r.hi}`;
}

export function reservedText(profile: NodeProfile): string {
  return profile.reserved.isEmpty() ? 'none' : profile.reserved.toString();
}

/**
 * The narrower `ip_local_port_range` that keeps the larger part of the current range and
 * leaves out the NodePort range, or undefined when no part is left.
 */
export function narrowedRange(ephemeral: PortRange, nodePorts: PortRange): PortRange | undefined {
  const below =
    ephemeral.lo < nodePorts.lo
      ? { lo: ephemeral.lo, hi: Math.min(ephemeral.hi, nodePorts.lo - 1) }
      : undefined;
  const above =
    ephemeral.hi > nodePorts.hi
      ? { lo: Math.max(ephemeral.lo, nodePorts.hi + 1), hi: ephemeral.hi }
      : undefined;
  const size = (r: PortRange | undefined) => (r ? r.hi - r.lo + 1 : 0);
  const best = size(above) >= size(below) ? above : below;
  return best && size(best) > 0 ? best : undefined;
}

/** The two ways to keep `overlap` out of the node's source ports, as one "Fix: ..." sentence. */
export function fixText(profile: NodeProfile, overlap: PortSet, ranges: ClusterRanges): string {
  const merged = profile.reserved.union(overlap).toString();
  const narrow = narrowedRange(profile.ephemeral, ranges.nodePortRange);
  return (
    `Fix: set net.ipv4.ip_local_reserved_ports to "${merged}" (the write replaces the whole list)` +
    (narrow ? ` or narrow net.ipv4.ip_local_port_range to "${rangeText(narrow)}"` : '') +
    '.'
  );
}
