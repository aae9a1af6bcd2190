/**
 * Incremental model of the node-ranges ConfigMap joined with the live Node list.
 *
 * The informers feed it one event at a time. Parsing the ConfigMap is the expensive part
 * (JSON + schema + port arithmetic per node), so parsed entries are cached by key and raw
 * value: an update re-parses only the keys whose text changed, entries that share a
 * profile build it once (`EntryCache`), and a node label change re-parses nothing, it
 * only re-joins the cached entries with the node list and rebuilds the `ClusterRanges`
 * index. The informer parses in slices (`applyConfigMapInSlices`) so a full rewrite of a
 * 5,000-node ConfigMap never holds the event loop for more than a few milliseconds.
 */
import {
  buildRanges,
  type ClusterRanges,
  DEFAULT_KEY,
  type EntryCache,
  NODE_PORT_RANGE_KEY,
  type NodeInfo,
  type NodeProfile,
  parseDataEntry,
  parseNodeRanges,
  type RangesError,
} from '../core/node-ranges.js';
import type { PortRange } from '../core/portset.js';

interface CachedEntry {
  raw: unknown;
  /** Parsed node, when the key is `node.<name>` and parsed cleanly. */
  node: NodeInfo | undefined;
  errors: readonly RangesError[];
}

/** The parsed form of one ConfigMap `data`, reusable as the `previous` of the next update. */
export interface ParsedConfigMap {
  readonly nodePortRange: PortRange;
  readonly defaultProfile: NodeProfile;
  /** Raw values of `nodePortRange` and `default`, to detect changes. */
  readonly headerRaw: readonly [unknown, unknown];
  readonly headerErrors: readonly RangesError[];
  /** Every other key, parsed. */
  readonly entries: ReadonlyMap<string, CachedEntry>;
  /** The cleanly parsed nodes by name, so joining with live nodes needs no `node.` + name keys. */
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  /** Every error in the data, header and entries, in key order. */
  readonly errors: readonly RangesError[];
}

/** Shared by every clean entry, so a 5,000-entry parse allocates no empty arrays. */
const NO_ERRORS: readonly RangesError[] = [];

/** Keys handled between two chances to yield; small enough that one batch is well under a millisecond. */
const KEYS_PER_STEP = 64;

/**
 * The parse as a generator that pauses every `keysPerStep` keys, so one code path serves
 * the synchronous `applyConfigMap` and the sliced `applyConfigMapInSlices`. Nothing
 * outside the generator is touched until it returns, which is what lets the informer
 * swap the result in with one assignment.
 */
function* parseSteps(
  data: Record<string, unknown>,
  previous: ParsedConfigMap | undefined,
  cache: EntryCache | undefined,
  keysPerStep: number,
): Generator<void, ParsedConfigMap, void> {
  const headerRaw = [data[NODE_PORT_RANGE_KEY], data[DEFAULT_KEY]] as const;
  const reuse =
    previous !== undefined && previous.headerRaw[1] === headerRaw[1]
      ? previous.entries
      : new Map<string, CachedEntry>();
  // The header goes through the core parse, so all validation stays in the core.
  const header: Record<string, unknown> = {};
  if (headerRaw[0] !== undefined) header[NODE_PORT_RANGE_KEY] = headerRaw[0];
  if (headerRaw[1] !== undefined) header[DEFAULT_KEY] = headerRaw[1];
  const parsedHeader = parseNodeRanges(header, 'configmap', cache);
  const { nodePortRange, defaultProfile } = parsedHeader.ranges;
  const headerErrors = parsedHeader.errors;
  const entries = new Map<string, CachedEntry>();
  const nodes = new Map<string, NodeInfo>();
  const errors: RangesError[] = [...headerErrors];
  const scratch: RangesError[] = [];
  let sinceYield = 0;
  for (const key in data) {
    if (key === NODE_PORT_RANGE_KEY || key === DEFAULT_KEY) continue;
    const raw = data[key];
    let entry = reuse.get(key);
    if (entry === undefined || entry.raw !== raw) {
      const node = parseDataEntry(key, raw, defaultProfile, scratch, cache);
      entry = { raw, node, errors: scratch.length === 0 ? NO_ERRORS : scratch.splice(0) };
    }
    entries.set(key, entry);
    if (entry.node) nodes.set(entry.node.name, entry.node);
    for (const e of entry.errors) errors.push(e);
    if (++sinceYield >= keysPerStep) {
      sinceYield = 0;
      yield;
    }
  }
  return { nodePortRange, defaultProfile, headerRaw, headerErrors, entries, nodes, errors };
}

/**
 * Parses ConfigMap `data` in one synchronous step, reusing the entries of `previous`
 * whose raw value is unchanged. A change of `default` re-parses every node entry because
 * entries inherit fields they leave out from it. Pass the source's `EntryCache` so
 * entries sharing a profile build it once. The informer uses `applyConfigMapInSlices`;
 * this form is for callers with nothing else to serve (tests, tools).
 */
export function applyConfigMap(
  data: Record<string, unknown>,
  previous?: ParsedConfigMap,
  cache?: EntryCache,
): ParsedConfigMap {
  const steps = parseSteps(data, previous, cache, Number.POSITIVE_INFINITY);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export interface SliceOptions {
  cache?: EntryCache;
  /** Longest run of parsing between two yields to the event loop, in ms. */
  sliceMs?: number;
  /** Checked after every yield: when true a newer update exists, and this parse stops. */
  superseded?: () => boolean;
  /** Keys between checks of the clock; tests lower it to force many slices. */
  keysPerStep?: number;
  /** Called at each yield, for tests and the benchmark. */
  onYield?: () => void;
}

/** Default slice: a review queued behind a reload waits at most about this long. */
export const DEFAULT_SLICE_MS = 4;

/**
 * The informer's form of `applyConfigMap`: the same parse, run in slices of about
 * `sliceMs` with a `setImmediate` yield between them, so reviews keep being answered
 * (from the previous state) while a 5,000-node update is parsed. Returns `undefined` when
 * `superseded()` turns true at a yield: a newer version has arrived, and its own parse
 * will win. The caller swaps the returned value in with one assignment.
 */
export async function applyConfigMapInSlices(
  data: Record<string, unknown>,
  previous: ParsedConfigMap | undefined,
  opts: SliceOptions = {},
): Promise<ParsedConfigMap | undefined> {
  const sliceMs = opts.sliceMs ?? DEFAULT_SLICE_MS;
  const steps = parseSteps(data, previous, opts.cache, opts.keysPerStep ?? KEYS_PER_STEP);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    // The caller's swap runs right after this returns: yield before it too, so the last
    // slice and the swap are never one long stall.
    if (step.done && performance.now() - sliceStart < sliceMs / 2) return step.value;
    if (!step.done && performance.now() - sliceStart < sliceMs) continue;
    opts.onYield?.();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (opts.superseded?.()) return undefined;
    if (step.done) return step.value;
    sliceStart = performance.now();
  }
}

/**
 * True for a `node.<name>` entry of the ranges ConfigMap that a reporter before per-node
 * report objects wrote: those copied every label of their Node, and kubelet always sets
 * `kubernetes.io/hostname`. Such an entry is reported data, so a node's own report object
 * outranks it; the new reporter deletes it (docs/cluster-state.md, "Migration").
 */
export function isReporterCopy(entry: NodeInfo): boolean {
  return Object.hasOwn(entry.labels, HOSTNAME_LABEL);
}
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/**
 * Where a node's profile comes from, by precedence: a hand-written `node.<name>` entry of the
 * ranges ConfigMap, else the node's report object, else a reporter-written entry of the ranges
 * ConfigMap (older reporters), else nothing (the default profile). Evidence (listeners, source
 * ports) is only ever measured, so it comes from the report whichever profile wins.
 */
function profileSource(entry: NodeInfo | undefined, report: NodeInfo | undefined): NodeInfo | undefined {
  return entry && !isReporterCopy(entry) ? entry : (report ?? entry);
}

/**
 * Joins parsed ConfigMap entries and the nodes' report objects with the live nodes into
 * the `ClusterRanges` the core reads. With `liveNodes` (the Node informer has synced) the
 * node set is exactly the live nodes: a node with no data gets the default profile, and
 * data of nodes that no longer exist is ignored (the leader prunes it). Live labels win
 * over labels written in entries and are complete (`labelsComplete`), so placement matches
 * them exactly. Without `liveNodes` the entries and reports are the node set, with labels
 * that may be partial.
 */
export function composeRanges(
  config: ParsedConfigMap,
  liveNodes: ReadonlyMap<string, Record<string, string>> | undefined,
  source: string,
  reports?: ReadonlyMap<string, NodeInfo>,
  previous?: ClusterRanges,
): ClusterRanges {
  const nodes = new Map<string, NodeInfo>();
  if (liveNodes) {
    // The hot path of a rollout (one rebuild per batch of report events): no allocation
    // for a node whose data did not change, its previous NodeInfo is reused.
    for (const [name, labels] of liveNodes) {
      const entry = config.nodes.get(name);
      const report = reports?.get(name);
      const profile = profileSource(entry, report)?.profile ?? config.defaultProfile;
      const evidence = report?.evidence ?? entry?.evidence;
      const prev = previous?.nodes.get(name);
      if (
        prev?.labelsComplete &&
        prev.profile === profile &&
        prev.labels === labels &&
        prev.evidence === evidence
      ) {
        nodes.set(name, prev);
        continue;
      }
      const node: NodeInfo = { name, profile, labels, labelsComplete: true };
      if (evidence) node.evidence = evidence;
      nodes.set(name, node);
    }
  } else if (!reports || reports.size === 0) {
    for (const node of config.nodes.values()) nodes.set(node.name, node);
  } else {
    for (const name of new Set([...config.nodes.keys(), ...reports.keys()])) {
      const entry = config.nodes.get(name);
      const report = reports.get(name);
      const source = profileSource(entry, report);
      if (!source) continue;
      const node: NodeInfo = {
        name,
        profile: source.profile,
        labels: entry?.labels ?? report?.labels ?? {},
        labelsComplete: false,
      };
      const evidence = report?.evidence ?? entry?.evidence;
      if (evidence) node.evidence = evidence;
      nodes.set(name, node);
    }
  }
  return buildRanges(config.nodePortRange, config.defaultProfile, nodes, source);
}
