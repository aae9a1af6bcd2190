/**
 * Mutation planning: returns a changed copy of the object and notes for warnings.
 * The server turns the difference into a JSON Patch. Every step is idempotent: a
 * second pass over its own output changes nothing. Steps read the object as given and
 * copy only what they write (see CopyOnWrite): most objects need no mutation.
 */
import { normalizeSysctlName } from '../shell/sysctl-name.js';
import { nodesOverlapping } from './affected.js';
import { hasListenerEvidence, listenedNodePorts } from './node-listeners.js';
import type { ClusterRanges } from './node-ranges.js';
import { isObject, type Json, type ObjectView, viewOf } from './object-view.js';
import type { Policy } from './policy.js';
import { PortParseError, PortSet, parseLocalPortRange, parseReservedPorts, staticBand } from './portset.js';
import type { ClusterState } from './state.js';
import type { Protocol } from './types.js';

export interface MutationPlan {
  /**
   * The changed object, sharing every unchanged subtree with the input; the input itself
   * when nothing changed. Read-only: modifying it may modify the input.
   */
  object: Json;
  changed: boolean;
  /** Human-readable notes, surfaced as warnings. */
  notes: string[];
  /** The node ports this plan assigned, for the server to remember until the informer shows them. */
  assigned: Assignment[];
}

/** One node port a plan assigned to one slot of the object. */
export interface Assignment {
  /** `nodePort/<index>/<protocol>` or `healthCheckNodePort`: stable across retries of the same object. */
  slot: string;
  port: number;
  protocol: Protocol;
}

/**
 * Ports assigned by recent mutations that the inventory may not show yet: the informer
 * lags the apiserver, so two creates in a burst could otherwise get the same port. The
 * server keeps this memory; the core only reads it, as data.
 */
export interface RecentAssignments {
  /** Ports assigned to any object: picked around like used ones. */
  reserved: { has(port: number): boolean };
  /**
   * Ports assigned earlier to this same object, by slot. A retry of a create gets the same
   * answer while the port is still free, so a retry loop holds one set of ports, not one per try.
   */
  mine: ReadonlyMap<string, number>;
}

const NO_RECENT: RecentAssignments = { reserved: new Set<number>(), mine: new Map() };

/** A source of randomness in [0, 1); injected so tests are deterministic. */
export type Random = () => number;

type Path = readonly (string | number)[];

/**
 * The object as given until a step writes; then a copy of only the containers on the paths
 * written (the root, `spec`, `spec.ports`, one port, ...), every other subtree shared with
 * the input. Copying the whole object cost more than the rest of planning, and the patch
 * diff skips shared subtrees by identity.
 */
class CopyOnWrite {
  private root: Json | undefined;
  private readonly copies = new WeakSet<object>();
  constructor(private readonly original: unknown) {}
  get current(): unknown {
    return this.root ?? this.original;
  }
  /** The container at `path`, copied (once) along with its parents; the input stays untouched. */
  writable(path: Path): Json {
    this.root ??= this.copy(this.original);
    let node = this.root;
    for (const key of path) {
      if (!this.copies.has(node[key])) node[key] = this.copy(node[key]);
      node = node[key];
    }
    return node;
  }
  private copy(value: Json): Json {
    const c = Array.isArray(value) ? [...value] : { ...value };
    this.copies.add(c);
    return c;
  }
}

const safeCache = new WeakMap<ClusterRanges, Map<boolean, { band: PortSet; rest: PortSet }>>();

/** NodePorts that no node can pick as a source port, static band first (KEP-3668). */
export function safeNodePorts(
  ranges: ClusterRanges,
  nodesComplete: boolean,
): { band: PortSet; rest: PortSet } {
  let perRanges = safeCache.get(ranges);
  const hit = perRanges?.get(nodesComplete);
  if (hit) return hit;
  let unsafe = PortSet.empty();
  for (const g of ranges.profiles.values()) unsafe = unsafe.union(g.profile.unreserved);
  if (!nodesComplete) unsafe = unsafe.union(ranges.defaultProfile.unreserved);
  const safe = ranges.nodePortSet.subtract(unsafe);
  const b = staticBand(ranges.nodePortRange);
  const band = safe.intersect(PortSet.range(b.lo, b.hi));
  const result = { band, rest: safe.subtract(band) };
  if (!perRanges) {
    perRanges = new Map();
    safeCache.set(ranges, perRanges);
  }
  perRanges.set(nodesComplete, result);
  return result;
}

/** Picks a random free port from `set`, skipping used ones; undefined when none is left. */
export function pickFree(set: PortSet, isUsed: (p: number) => boolean, random: Random): number | undefined {
  const size = set.size();
  if (size === 0) return undefined;
  // Random probes first (cheap when the set is sparse in use), then a full scan from a random start.
  for (let i = 0; i < 16; i++) {
    const p = set.nth(Math.floor(random() * size))!;
    if (!isUsed(p)) return p;
  }
  const start = Math.floor(random() * size);
  for (let i = 0; i < size; i++) {
    const p = set.nth((start + i) % size)!;
    if (!isUsed(p)) return p;
  }
  return undefined;
}

function assignNodePorts(
  doc: CopyOnWrite,
  view: ObjectView | undefined,
  state: ClusterState,
  random: Random,
  recent: RecentAssignments,
  notes: string[],
  assigned: Assignment[],
): boolean {
  const obj = doc.current as Json;
  const svc = view?.service;
  if (!svc) return false;
  const wantsHealthCheck =
    obj.spec.type === 'LoadBalancer' &&
    obj.spec.externalTrafficPolicy === 'Local' &&
    (obj.spec.healthCheckNodePort === undefined || obj.spec.healthCheckNodePort === 0);
  if (svc.unsetPorts.length === 0 && !wantsHealthCheck) return false;
  const { ranges } = state;
  // Auto-allocation is left alone only when it cannot land badly: no node's ephemeral range
  // overlaps the NodePort range and no measured listener holds a NodePort of a needed protocol.
  const protocols = new Set<Protocol>(svc.unsetPorts.map((u) => u.protocol));
  if (wantsHealthCheck) protocols.add('TCP');
  if (
    nodesOverlapping(ranges, ranges.nodePortSet, state.nodesComplete).length === 0 &&
    [...protocols].every((p) => listenedNodePorts(ranges, p).isEmpty())
  )
    return false;
  const safe = safeNodePorts(ranges, state.nodesComplete);
  const taken = new Set<number>(svc.nodePorts.map((r) => r.port));
  const isUsed = (p: number) => taken.has(p) || state.inventory.isUsed(p) || recent.reserved.has(p);
  const pick = (slot: string, protocol: Protocol) => {
    // A port some node's process listens on (same protocol) would lose that process its traffic.
    const listened = listenedNodePorts(ranges, protocol);
    const isTaken = (p: number) => isUsed(p) || listened.has(p);
    // This object's own earlier pick is reserved for it, so only the inventory can rule it out.
    const earlier = recent.mine.get(slot);
    const p =
      earlier !== undefined &&
      (safe.band.has(earlier) || safe.rest.has(earlier)) &&
      !taken.has(earlier) &&
      !state.inventory.isUsed(earlier) &&
      !listened.has(earlier)
        ? earlier
        : (pickFree(safe.band, isTaken, random) ?? pickFree(safe.rest, isTaken, random));
    if (p !== undefined) assigned.push({ slot, port: p, protocol });
    return p;
  };
  const outside = `outside every node's ephemeral range${hasListenerEvidence(ranges) ? ', held by no listener on any node' : ''}`;
  let changed = false;
  for (const u of svc.unsetPorts) {
    const p = pick(`nodePort/${u.index}/${u.protocol}`, u.protocol);
    if (p === undefined) {
      notes.push(`no free nodePort ${outside}; spec.ports[${u.index}] is left to auto-allocation`);
      return changed;
    }
    doc.writable(['spec', 'ports', u.index]).nodePort = p;
    taken.add(p);
    changed = true;
    notes.push(`assigned nodePort ${p} to spec.ports[${u.index}] (${outside})`);
  }
  if (wantsHealthCheck) {
    const p = pick('healthCheckNodePort', 'TCP');
    if (p !== undefined) {
      doc.writable(['spec']).healthCheckNodePort = p;
      changed = true;
      notes.push(`assigned healthCheckNodePort ${p} (${outside})`);
    }
  }
  return changed;
}

const RANGE_KEY = 'net.ipv4.ip_local_port_range';
const RESERVED_KEY = 'net.ipv4.ip_local_reserved_ports';

/** The path of the pod spec's sysctls list (a workload's pod spec is in its template). */
function sysctlsPath(specPath: string): string[] {
  return [...specPath.split('.'), 'securityContext', 'sysctls'];
}

function reservePorts(
  doc: CopyOnWrite,
  view: ObjectView | undefined,
  state: ClusterState,
  notes: string[],
): boolean {
  const pod = view?.pod;
  if (!pod || pod.hostNetwork) return false;
  const sysctls = pod.spec.securityContext?.sysctls;
  if (!Array.isArray(sysctls)) return false;
  const rangeEntry = sysctls.find(
    (s: Json) => isObject(s) && normalizeSysctlName(String(s.name)) === RANGE_KEY,
  );
  if (!rangeEntry) return false;
  let overlap: PortSet;
  try {
    const r = parseLocalPortRange(String(rangeEntry.value));
    overlap = PortSet.range(r.lo, r.hi).intersect(state.ranges.nodePortSet);
  } catch (err) {
    if (err instanceof PortParseError) return false;
    throw err;
  }
  if (overlap.isEmpty()) return false;
  const existingIndex = sysctls.findIndex(
    (s: Json) => isObject(s) && normalizeSysctlName(String(s.name)) === RESERVED_KEY,
  );
  if (existingIndex >= 0) {
    const existing = sysctls[existingIndex];
    let current: PortSet;
    try {
      current = parseReservedPorts(String(existing.value ?? ''));
    } catch {
      notes.push(`${RESERVED_KEY} has a value portguard cannot parse; left unchanged`);
      return false;
    }
    const merged = current.union(overlap);
    if (merged.equals(current)) return false;
    const value = merged.toString();
    doc.writable([...sysctlsPath(pod.specPath), existingIndex]).value = value;
    notes.push(`extended ${RESERVED_KEY} to ${value} to keep NodePorts out of the pod's source ports`);
    return true;
  }
  doc.writable(sysctlsPath(pod.specPath)).push({ name: RESERVED_KEY, value: overlap.toString() });
  notes.push(`added ${RESERVED_KEY}=${overlap} to keep NodePorts out of the pod's source ports`);
  return true;
}

/** Plans every enabled mutation; `object` itself is never modified. */
export function planMutation(
  object: unknown,
  state: ClusterState,
  policy: Policy,
  random: Random,
  recent: RecentAssignments = NO_RECENT,
): MutationPlan {
  const doc = new CopyOnWrite(object);
  const notes: string[] = [];
  const assigned: Assignment[] = [];
  let changed = false;
  // One view for both steps: a Service is never a pod, so no step reads what another wrote.
  const view = viewOf(object);
  if (policy.mutations.assignNodePorts)
    changed = assignNodePorts(doc, view, state, random, recent, notes, assigned) || changed;
  if (policy.mutations.reservePorts) changed = reservePorts(doc, view, state, notes) || changed;
  return { object: doc.current as Json, changed, notes, assigned };
}
