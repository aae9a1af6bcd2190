/**
 * Which nodes a pod can land on, from what the spec pins down: `nodeName`,
 * `nodeSelector` and required node affinity, matched against known node labels.
 * When nothing narrows it down the answer is "every node", so a rule never misses a
 * node it could not rule out. Likewise a label key that a node's (partial) labels do not
 * carry may match, and a constraint that no current node meets falls back to the
 * `default` profile: the scheduler places the pod later, without another admission.
 */
import { LRUCache } from 'lru-cache';
import type { ClusterRanges, NodeInfo, NodeProfile } from './node-ranges.js';
import { isObject, type Json, type PodView } from './object-view.js';

/** Pseudo node name for nodes that have no `node.<name>` entry and use `default`. */
export const DEFAULT_NODES = '*';

/** The well-known label kubelet sets to the node's name: known even where other labels are not. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/**
 * Why a pod on a complete node list is judged on the `default` profile alone: `nodeName`
 * names no current node, its selector/affinity matches none, or the cluster has no nodes.
 */
export type NoCurrentMatch = 'nodeName' | 'selector' | 'noNodes';

export interface Placement {
  /** Known nodes the pod can run on. */
  nodes: NodeInfo[];
  /** The pod may also run on nodes with no entry of their own (the `default` profile). */
  includesDefault: boolean;
  /** True when no constraint narrowed the choice. */
  unconstrained: boolean;
  /**
   * Set when the node list is complete and no current node can take the pod: it waits
   * for a node that does not exist yet (a pool scaled to zero or not joined), and is
   * judged on the `default` profile (`includesDefault` is true) so it is not judged
   * against nothing.
   */
  noCurrentMatch?: NoCurrentMatch;
}

type Requirement = { key: string; operator: string; values: string[] };

/** Go's `strconv.ParseInt(s, 10, 64)` syntax, which the scheduler applies to both sides. */
const INTEGER = /^[+-]?\d+$/;

function compareInt(value: string | undefined, r: Requirement): boolean {
  const bound = r.values[0];
  // A malformed bound fails API validation; it cannot be evaluated, so the node is kept.
  if (r.values.length !== 1 || !INTEGER.test(bound!)) return true;
  // A node whose value is no integer never matches, as in the scheduler.
  if (value === undefined || !INTEGER.test(value)) return false;
  const [v, b] = [BigInt(value), BigInt(bound!)];
  return r.operator === 'Gt' ? v > b : v < b;
}

/** Marks a label the node may or may not carry: its labels are partial and lack the key. */
const UNKNOWN = Symbol('unknown label');

function labelOf(node: NodeInfo, key: string): string | undefined | typeof UNKNOWN {
  if (Object.hasOwn(node.labels, key)) return node.labels[key];
  if (node.labelsComplete) return undefined;
  if (key === HOSTNAME_LABEL) return node.name;
  return UNKNOWN;
}

function matchRequirement(value: string | undefined | typeof UNKNOWN, r: Requirement): boolean {
  // A node whose value is unknown could carry any value or none: it may match.
  if (value === UNKNOWN) return true;
  switch (r.operator) {
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt':
      return compareInt(value, r);
    default:
      // Unknown operators cannot be evaluated; keep the node so nothing is missed.
      return true;
  }
}

function requirements(list: Json): Requirement[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((e) => ({
    key: String(e.key ?? ''),
    operator: String(e.operator ?? ''),
    values: Array.isArray(e.values) ? e.values.map(String) : [],
  }));
}

interface Term {
  labels: Requirement[];
  fields: Requirement[];
}

function requiredTerms(spec: Json): Term[] | undefined {
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return undefined;
  return terms
    .filter(isObject)
    .map((t) => ({ labels: requirements(t.matchExpressions), fields: requirements(t.matchFields) }));
}

function matches(node: NodeInfo, selector: Record<string, string>, terms: Term[] | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) {
    const value = labelOf(node, k);
    if (value !== UNKNOWN && value !== v) return false;
  }
  if (!terms) return true;
  // Terms are ORed; expressions inside a term are ANDed (and an empty term matches nothing).
  return terms.some(
    (t) =>
      (t.labels.length > 0 || t.fields.length > 0) &&
      t.labels.every((r) => matchRequirement(labelOf(node, r.key), r)) &&
      t.fields.every((r) => r.key !== 'metadata.name' || matchRequirement(node.name, r)),
  );
}

/**
 * Placements already resolved, per ranges snapshot. Pods in a cluster (and in a `check`
 * run) share a handful of selectors, yet each resolution walks every node: with 5,000
 * nodes that walk was most of a Pod review. `ClusterRanges` is never changed after it is
 * built (a reload builds a new one), so the snapshot itself is the cache key and the
 * cache goes when the snapshot does.
 */
const placements = new WeakMap<ClusterRanges, LRUCache<string, Placement>>();

/**
 * Distinct selectors kept per snapshot. A placement can hold every node (~40 KB at
 * 5,000 nodes), and webhook input is untrusted, so the least recently used goes when full.
 */
export const PLACEMENT_CACHE_SIZE = 256;

function resolve(
  selector: Record<string, string>,
  terms: Term[] | undefined,
  ranges: ClusterRanges,
  complete: boolean,
): Placement {
  const unconstrained = Object.keys(selector).length === 0 && !terms;
  const nodes: NodeInfo[] = [];
  if (unconstrained) nodes.push(...ranges.nodes.values());
  else for (const node of ranges.nodes.values()) if (matches(node, selector, terms)) nodes.push(node);
  // Label data for unknown nodes is unknown, so they stay possible unless the list is complete.
  if (!complete || nodes.length > 0) return { nodes, includesDefault: !complete, unconstrained };
  return {
    nodes,
    includesDefault: true,
    unconstrained,
    noCurrentMatch: unconstrained ? 'noNodes' : 'selector',
  };
}

/**
 * Resolves the pod's candidate nodes. `ranges.complete` (every node known, as from the
 * Node informer) decides whether unknown nodes on the default profile remain possible.
 * The result may be shared with other pods of the same placement: treat it as read-only.
 */
export function placementOf(pod: PodView, ranges: ClusterRanges, complete: boolean): Placement {
  const spec = pod.spec;
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
    const node = ranges.nodes.get(spec.nodeName);
    if (node) return { nodes: [node], includesDefault: false, unconstrained: false };
    // Without a complete list the name may be a node without an entry: that is what `*` means.
    return complete
      ? { nodes: [], includesDefault: true, unconstrained: false, noCurrentMatch: 'nodeName' }
      : { nodes: [], includesDefault: true, unconstrained: false };
  }
  const selector: Record<string, string> = {};
  if (isObject(spec.nodeSelector)) {
    for (const [k, v] of Object.entries(spec.nodeSelector)) selector[k] = String(v);
  }
  const terms = requiredTerms(spec);
  // The normalised selector and terms are everything the result depends on, besides the snapshot.
  const key = `${complete ? 1 : 0}${JSON.stringify(selector)}${terms ? JSON.stringify(terms) : ''}`;
  let cache = placements.get(ranges);
  if (!cache) {
    cache = new LRUCache({ max: PLACEMENT_CACHE_SIZE });
    placements.set(ranges, cache);
  }
  let placement = cache.get(key);
  if (!placement) {
    placement = resolve(selector, terms, ranges, complete);
    cache.set(key, placement);
  }
  return placement;
}

/** Profile groups already built per placement; placements are shared, so their groups can be. */
const groupsByPlacement = new WeakMap<Placement, { profile: NodeProfile; nodes: string[] }[]>();

/**
 * Groups the placement by profile: rules evaluate each distinct profile once. The result
 * is shared by every review with the same placement: treat it as read-only.
 */
export function profilesOf(
  placement: Placement,
  ranges: ClusterRanges,
): { profile: NodeProfile; nodes: string[] }[] {
  const cached = groupsByPlacement.get(placement);
  if (cached) return cached;
  const result = groupProfiles(placement, ranges);
  groupsByPlacement.set(placement, result);
  return result;
}

function groupProfiles(
  placement: Placement,
  ranges: ClusterRanges,
): { profile: NodeProfile; nodes: string[] }[] {
  const groups = new Map<string, { profile: NodeProfile; nodes: string[] }>();
  if (placement.unconstrained) {
    // Shares the index's node lists (read-only here) instead of copying every node name
    // per review; the default-node branch below copies before it appends.
    for (const g of ranges.profiles.values())
      groups.set(g.profile.key, { profile: g.profile, nodes: g.nodes });
  } else {
    for (const node of placement.nodes) {
      let g = groups.get(node.profile.key);
      if (!g) {
        g = { profile: node.profile, nodes: [] };
        groups.set(node.profile.key, g);
      }
      g.nodes.push(node.name);
    }
  }
  if (placement.includesDefault) {
    const key = ranges.defaultProfile.key;
    const g = groups.get(key);
    if (g) g.nodes = [...g.nodes, DEFAULT_NODES];
    else groups.set(key, { profile: ranges.defaultProfile, nodes: [DEFAULT_NODES] });
  }
  return [...groups.values()];
}
