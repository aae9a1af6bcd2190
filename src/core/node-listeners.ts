/**
 * Which nodes hold a port with a listening socket, from what node reporters measured on the
 * hosts (`NodeInfo.evidence.listeners`). A node without that evidence, or a protocol its
 * reporter did not read (SCTP is never read), was never measured: it is left out, never read
 * as "no listeners", and no rule claims anything about it. Services hold their nodePorts on every
 * node, so a Service review asks about every node; the index below keeps that a scan over
 * the few nodes that listen inside the NodePort range, not over the whole fleet.
 */
import type { ClusterRanges, NodeInfo } from './node-ranges.js';
import { PortSet } from './portset.js';
import type { Protocol } from './types.js';

type Proto = 'tcp' | 'udp' | 'sctp';

const PROTO: Record<Protocol, Proto> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

/** One snapshot's listeners, by protocol. Built once per `ClusterRanges` (read-only). */
interface ListenerIndex {
  /** Nodes whose listeners hold some port of the NodePort range, with those ports. */
  inRange: Record<Proto, { node: string; ports: PortSet }[]>;
  /** Every NodePort-range port some node's listener holds. */
  held: Record<Proto, PortSet>;
  /** Nodes with measured listeners: scanned for a port outside the NodePort range. */
  measured: NodeInfo[];
  /** Nodes whose reporter hit its cap: a port they do not list may still be held. */
  truncated: NodeInfo[];
}

const indexes = new WeakMap<ClusterRanges, ListenerIndex>();

function build(ranges: ClusterRanges): ListenerIndex {
  const index: ListenerIndex = {
    inRange: { tcp: [], udp: [], sctp: [] },
    held: { tcp: PortSet.empty(), udp: PortSet.empty(), sctp: PortSet.empty() },
    measured: [],
    truncated: [],
  };
  const held: Record<Proto, PortSet[]> = { tcp: [], udp: [], sctp: [] };
  for (const node of ranges.nodes.values()) {
    const listeners = node.evidence?.listeners;
    if (!listeners) continue;
    index.measured.push(node);
    if (listeners.truncated) index.truncated.push(node);
    for (const proto of ['tcp', 'udp', 'sctp'] as const) {
      // A protocol the reporter did not read is unmeasured, like a node without evidence.
      const ports = listeners[proto]?.intersect(ranges.nodePortSet);
      if (!ports || ports.isEmpty()) continue;
      index.inRange[proto].push({ node: node.name, ports });
      held[proto].push(ports);
    }
  }
  for (const proto of ['tcp', 'udp', 'sctp'] as const) {
    // One merge of every range instead of a union per node (each union copies the set).
    index.held[proto] = PortSet.of(...held[proto].flatMap((s) => s.ranges()));
  }
  return index;
}

function indexOf(ranges: ClusterRanges): ListenerIndex {
  let index = indexes.get(ranges);
  if (!index) {
    index = build(ranges);
    indexes.set(ranges, index);
  }
  return index;
}

/** True when some node reporter measured listeners: without that, nothing below can answer. */
export function hasListenerEvidence(ranges: ClusterRanges): boolean {
  return indexOf(ranges).measured.length > 0;
}

/** The nodes whose measured listeners hold `port` for `protocol`, in node order. */
export function nodesListeningOn(ranges: ClusterRanges, protocol: Protocol, port: number): string[] {
  const proto = PROTO[protocol];
  const index = indexOf(ranges);
  if (ranges.nodePortSet.has(port)) {
    return index.inRange[proto].filter((e) => e.ports.has(port)).map((e) => e.node);
  }
  // A port outside the configured NodePort range (the ranges data may not match the apiserver's).
  return index.measured.filter((n) => n.evidence?.listeners?.[proto]?.has(port)).map((n) => n.name);
}

/** Nodes whose listener list was cut at the reporter's cap and does not show `port`: it may be held there. */
export function nodesMaybeListeningOn(ranges: ClusterRanges, protocol: Protocol, port: number): string[] {
  const proto = PROTO[protocol];
  return indexOf(ranges)
    .truncated.filter((n) => {
      const ports = n.evidence?.listeners?.[proto];
      return ports !== undefined && !ports.has(port);
    })
    .map((n) => n.name);
}

/** Every port of the NodePort range that some node's listener holds for `protocol`. */
export function listenedNodePorts(ranges: ClusterRanges, protocol: Protocol): PortSet {
  return indexOf(ranges).held[PROTO[protocol]];
}
