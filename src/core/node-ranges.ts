/**
 * The node-ranges ConfigMap model: the contract shared by the CLI, the server, the
 * manifests and the node reporter. Parsing is pure and collects every error with the
 * key it came from, so callers can keep the last good data and say what is wrong.
 */
import { Ajv } from 'ajv';
import {
  PortParseError,
  type PortRange,
  PortSet,
  parseLocalPortRange,
  parseNodePortRange,
  parseReservedPorts,
} from './portset.js';
import { describeSchemaErrors } from './schema-errors.js';
import { closest, didYouMean, editDistance, guessText } from './suggest.js';

export const DEFAULT_NODE_PORT_RANGE = '30000-32767';
export const KERNEL_DEFAULT_LOCAL_PORT_RANGE = '32768 60999';
export const NODE_KEY_PREFIX = 'node.';
export const DEFAULT_KEY = 'default';
export const NODE_PORT_RANGE_KEY = 'nodePortRange';

/** The JSON value of `default` and of each `node.<name>` key. */
export interface NodeEntryJson {
  ipLocalPortRange?: string;
  ipLocalReservedPorts?: string;
  labels?: Record<string, string>;
  /** Ports with a listening socket on the host, per protocol, in `ip_local_reserved_ports` syntax. */
  listeners?: { tcp?: string; udp?: string; sctp?: string };
  /** True when the reporter hit its cap: ports past it may be held too. */
  listenersTruncated?: boolean;
  /** Connected sockets whose local port lies in `range`: the kernel handed out a NodePort as a source port. */
  nodePortSourcePorts?: { range: string; count: number };
  [extra: string]: unknown;
}

const portListSchema = { type: 'string' } as const;
const entrySchema = {
  type: 'object',
  properties: {
    ipLocalPortRange: { type: 'string' },
    ipLocalReservedPorts: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    listeners: {
      type: 'object',
      properties: { tcp: portListSchema, udp: portListSchema, sctp: portListSchema },
      additionalProperties: false,
    },
    listenersTruncated: { type: 'boolean' },
    nodePortSourcePorts: {
      type: 'object',
      properties: { range: { type: 'string' }, count: { type: 'integer', minimum: 0 } },
      required: ['range', 'count'],
      additionalProperties: false,
    },
  },
  additionalProperties: true,
} as const;

// verbose: the errors carry the schema and data that `describeSchemaErrors` names.
const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
const validateEntry = ajv.compile<NodeEntryJson>(entrySchema);

/**
 * The fields an entry is read for, from the schema. Others are allowed, so that a newer
 * reporter's field cannot make an older server reject the ConfigMap, but each is named in
 * a warning: it is more often a typo, which would otherwise leave the node silently on
 * the `default` profile.
 */
export const NODE_ENTRY_FIELDS: readonly string[] = Object.keys(entrySchema.properties);
const KNOWN_ENTRY_FIELDS = new Set(NODE_ENTRY_FIELDS);

/** A node's effective ephemeral-port profile. */
export interface NodeProfile {
  /** `ip_local_port_range`. */
  ephemeral: PortRange;
  /** `ip_local_reserved_ports`. */
  reserved: PortSet;
  /** Ephemeral ports the kernel may actually pick: the range minus reserved ports. */
  unreserved: PortSet;
  /** Stable text key; nodes with equal profiles share one. */
  key: string;
}

/**
 * What a node reporter saw on the host beyond its sysctls. Absent when nobody measured
 * it (hand-written entries, older reporters): absence means unknown, never "no listeners".
 */
export interface NodeEvidence {
  /** Per protocol; a protocol left out was not read (unknown), an empty set was read and has none. */
  listeners?: {
    tcp?: PortSet;
    udp?: PortSet;
    sctp?: PortSet;
    /** The reporter's cap was hit: a port not listed may still be held. */
    truncated: boolean;
  };
  nodePortSourcePorts?: { range: PortRange; count: number };
}

export interface NodeInfo {
  name: string;
  profile: NodeProfile;
  labels: Record<string, string>;
  evidence?: NodeEvidence;
  /**
   * True when `labels` are the Node object's own (the Node informer, audit's Node list):
   * a key missing there is missing on the node. A ConfigMap entry's `labels` may be a
   * subset, hand-written or stale, so a key missing there says nothing.
   */
  labelsComplete: boolean;
}

export interface RangesError {
  /** ConfigMap data key the error belongs to. */
  key: string;
  message: string;
}

/** Something in the data that is used anyway, such as an unknown field in an entry; never fatal. */
export interface RangesWarning {
  /** ConfigMap data key the warning belongs to. */
  key: string;
  message: string;
}

/**
 * Parsed ranges. Nodes are grouped by profile because real clusters have few distinct
 * profiles, which makes "which nodes can pick port p" a scan over profiles, not nodes.
 */
export interface ClusterRanges {
  nodePortRange: PortRange;
  nodePortSet: PortSet;
  defaultProfile: NodeProfile;
  nodes: Map<string, NodeInfo>;
  profiles: Map<string, { profile: NodeProfile; nodes: string[] }>;
  /** Where the data came from, for messages and /readyz. */
  source: string;
}

export function makeProfile(ephemeral: PortRange, reserved: PortSet): NodeProfile {
  return {
    ephemeral,
    reserved,
    unreserved: PortSet.range(ephemeral.lo, ephemeral.hi).subtract(reserved),
    key: `${ephemeral.lo} ${ephemeral.hi}|${reserved.toString()}`,
  };
}

/** What one entry's JSON text parses to; cached by text, so it holds no key. */
type EntryOutcome = (
  | { ok: true; profile: NodeProfile; labels: Record<string, string>; evidence?: NodeEvidence }
  | { ok: false; message: string }
) & { warnings?: readonly string[] };

/** The entry cache's caps: past them a cache is cleared, so hostile data cannot grow it. */
const MAX_PROFILES = 4096;
const MAX_OUTCOMES = 20_000;
/** Longer values are parsed every time: caching a 1 MiB value would pin it in memory. */
const MAX_CACHED_VALUE = 4096;

/**
 * Memoises entry parsing. Real clusters (and the synthetic 5,000-node one) have a
 * handful of distinct `(ipLocalPortRange, ipLocalReservedPorts)` pairs, so building each
 * profile (range parse, reserved-list parse, subtraction, key) once per pair instead of
 * once per node removes most of a full reload's cost. Identical entry texts without
 * labels (hand-written entries shared by many nodes) also skip JSON.parse and the schema
 * check. Outcomes depend on the default profile an
 * entry inherits from, which is part of every cache key. The caller owns the cache (one
 * per ConfigMap source), so nothing is global and tests start clean.
 */
export class EntryCache {
  private readonly profiles = new Map<string, NodeProfile | PortParseError>();
  /** Outcomes by the inherited default profile's key, then by entry text (no key concatenation). */
  private readonly outcomes = new Map<string, Map<string, EntryOutcome>>();
  private outcomeCount = 0;

  /** Number of cached profiles and entry texts, for tests. */
  get size(): { profiles: number; outcomes: number } {
    return { profiles: this.profiles.size, outcomes: this.outcomeCount };
  }

  /** @internal */
  outcome(raw: string, fallback: NodeProfile | undefined, parse: () => EntryOutcome): EntryOutcome {
    // An entry with labels is one node's (the reporter writes its hostname): its text never
    // repeats, and caching it only costs time and memory (measured: ~40% slower reloads).
    if (raw.length > MAX_CACHED_VALUE || raw.includes('"labels"')) return parse();
    const fallbackKey = fallback?.key ?? '';
    let byText = this.outcomes.get(fallbackKey);
    let hit = byText?.get(raw);
    if (!hit) {
      hit = parse();
      if (this.outcomeCount >= MAX_OUTCOMES) {
        this.outcomes.clear();
        this.outcomeCount = 0;
        byText = undefined;
      }
      if (!byText) {
        byText = new Map();
        this.outcomes.set(fallbackKey, byText);
      }
      byText.set(raw, hit);
      this.outcomeCount++;
    }
    return hit;
  }

  /** @internal */
  profile(
    range: string | undefined,
    reserved: string | undefined,
    fallback: NodeProfile | undefined,
  ): NodeProfile {
    // A field an entry leaves out comes from the fallback, so the fallback is in the key.
    const key = `${range ?? `<${fallback?.key ?? ''}>`}\n${reserved ?? `<${fallback?.key ?? ''}>`}`;
    let hit = this.profiles.get(key);
    if (!hit) {
      try {
        hit = buildProfile(range, reserved, fallback);
      } catch (err) {
        if (!(err instanceof PortParseError)) throw err;
        hit = err;
      }
      if (this.profiles.size >= MAX_PROFILES) this.profiles.clear();
      this.profiles.set(key, hit);
    }
    if (hit instanceof PortParseError) throw hit;
    return hit;
  }
}

function buildProfile(
  range: string | undefined,
  reserved: string | undefined,
  fallback: NodeProfile | undefined,
): NodeProfile {
  const ephemeral =
    range !== undefined
      ? parseLocalPortRange(range)
      : (fallback?.ephemeral ?? parseLocalPortRange(KERNEL_DEFAULT_LOCAL_PORT_RANGE));
  const reservedSet =
    reserved !== undefined ? parseReservedPorts(reserved) : (fallback?.reserved ?? PortSet.empty());
  return makeProfile(ephemeral, reservedSet);
}

/** A warning for each field of an entry that this version does not read, or undefined. */
function unknownFieldWarnings(json: unknown): string[] | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  let out: string[] | undefined;
  // for-in, not Object.keys: no array per entry on the path every node's entry takes.
  for (const field in json) {
    if (KNOWN_ENTRY_FIELDS.has(field)) continue;
    const guess = didYouMean(field, NODE_ENTRY_FIELDS);
    out = out ?? [];
    out.push(
      `unknown field ${JSON.stringify(field)} is ignored${guess || ` (known fields: ${NODE_ENTRY_FIELDS.join(', ')})`}`,
    );
  }
  return out;
}

function parseEntryText(
  raw: string,
  fallback: NodeProfile | undefined,
  cache: EntryCache | undefined,
): EntryOutcome {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return { ok: false, message: `value is not valid JSON: ${(err as Error).message}` };
  }
  const outcome = parseEntryValue(json, fallback, cache);
  const warnings = unknownFieldWarnings(json);
  return warnings ? { ...outcome, warnings } : outcome;
}

function parseEntryValue(
  json: unknown,
  fallback: NodeProfile | undefined,
  cache: EntryCache | undefined,
): EntryOutcome {
  if (!validateEntry(json)) {
    const detail = describeSchemaErrors(validateEntry.errors).join('; ');
    return { ok: false, message: `value does not match the schema: ${detail}` };
  }
  try {
    const profile = cache
      ? cache.profile(json.ipLocalPortRange, json.ipLocalReservedPorts, fallback)
      : buildProfile(json.ipLocalPortRange, json.ipLocalReservedPorts, fallback);
    const evidence = parseEvidence(json);
    if (typeof evidence === 'string') return { ok: false, message: evidence };
    return { ok: true, profile, labels: json.labels ?? {}, ...(evidence ? { evidence } : {}) };
  } catch (err) {
    if (err instanceof PortParseError) {
      const field = /reserved/.test(err.message) ? 'ipLocalReservedPorts' : 'ipLocalPortRange';
      return { ok: false, message: `${field}: ${err.message}` };
    }
    throw err;
  }
}

/** The evidence fields of a schema-valid entry; a string is the error message. */
function parseEvidence(json: NodeEntryJson): NodeEvidence | undefined | string {
  const evidence: NodeEvidence = {};
  if (json.listeners !== undefined || json.listenersTruncated !== undefined) {
    const sets: Partial<Record<'tcp' | 'udp' | 'sctp', PortSet>> = {};
    for (const proto of ['tcp', 'udp', 'sctp'] as const) {
      const text = json.listeners?.[proto];
      if (text === undefined) continue;
      try {
        sets[proto] = parseReservedPorts(text);
      } catch (err) {
        if (!(err instanceof PortParseError)) throw err;
        return `listeners.${proto}: ${err.message.replace(/reserved /g, '')}`;
      }
    }
    evidence.listeners = { ...sets, truncated: json.listenersTruncated === true };
  }
  if (json.nodePortSourcePorts !== undefined) {
    try {
      evidence.nodePortSourcePorts = {
        range: parseNodePortRange(json.nodePortSourcePorts.range),
        count: json.nodePortSourcePorts.count,
      };
    } catch (err) {
      if (!(err instanceof PortParseError)) throw err;
      return `nodePortSourcePorts.range: ${err.message}`;
    }
  }
  return evidence.listeners || evidence.nodePortSourcePorts ? evidence : undefined;
}

function parseEntry(
  key: string,
  raw: string,
  fallback: NodeProfile | undefined,
  errors: RangesError[],
  cache?: EntryCache,
  warnings?: RangesWarning[],
): { profile: NodeProfile; labels: Record<string, string>; evidence?: NodeEvidence } | undefined {
  const outcome = cache
    ? cache.outcome(raw, fallback, () => parseEntryText(raw, fallback, cache))
    : parseEntryText(raw, fallback, undefined);
  if (warnings && outcome.warnings) for (const message of outcome.warnings) warnings.push({ key, message });
  if (!outcome.ok) {
    errors.push({ key, message: outcome.message });
    return undefined;
  }
  // Entries with equal text share one outcome, labels included: NodeInfo labels are read-only.
  return outcome.evidence
    ? { profile: outcome.profile, labels: outcome.labels, evidence: outcome.evidence }
    : { profile: outcome.profile, labels: outcome.labels };
}

/**
 * The data key `key` was probably meant to be: `nodePortRange` or `default` when it is a
 * typo of one, else `node.<name>` when what comes before the first `.`, `-` or `_` is
 * a typo of `node` or `nodes` (`node-worker-1`, `nodes.worker-1`, `Node.worker-1`).
 */
export function suggestDataKey(key: string): string | undefined {
  const guess = closest(key, [NODE_PORT_RANGE_KEY, DEFAULT_KEY]);
  if (guess !== undefined) return guess;
  const sep = key.search(/[._-]/);
  if (sep <= 0 || sep === key.length - 1) return undefined;
  const head = key.slice(0, sep).toLowerCase();
  if (editDistance(head, 'node', 1) > 1 && head !== 'nodes') return undefined;
  return NODE_KEY_PREFIX + key.slice(sep + 1);
}

/**
 * Parses one data key other than `nodePortRange` and `default`, pushing its errors (and,
 * when given an array for them, its warnings): the per-key step of `parseNodeRanges`,
 * exported so an incremental parser can run it key by key (in chunks) and keep every
 * check in the core.
 */
export function parseDataEntry(
  key: string,
  value: unknown,
  defaultProfile: NodeProfile,
  errors: RangesError[],
  cache?: EntryCache,
  warnings?: RangesWarning[],
): NodeInfo | undefined {
  if (!key.startsWith(NODE_KEY_PREFIX)) {
    errors.push({
      key,
      message: `unknown key; expected "${NODE_PORT_RANGE_KEY}", "${DEFAULT_KEY}" or "node.<nodeName>"${guessText(suggestDataKey(key))}`,
    });
    return undefined;
  }
  const name = key.slice(NODE_KEY_PREFIX.length);
  if (name === '') {
    errors.push({ key, message: 'node name is empty' });
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push({ key, message: 'value must be a JSON string' });
    return undefined;
  }
  const parsed = parseEntry(key, value, defaultProfile, errors, cache, warnings);
  if (!parsed) return undefined;
  const node: NodeInfo = { name, profile: parsed.profile, labels: parsed.labels, labelsComplete: false };
  if (parsed.evidence) node.evidence = parsed.evidence;
  return node;
}

export interface ParseResult {
  ranges: ClusterRanges;
  errors: RangesError[];
  /** What was used anyway (unknown fields in entries); callers may show or ignore them. */
  warnings: RangesWarning[];
}

/**
 * Parses ConfigMap `data`. Bad node entries are reported and skipped (that node falls
 * back to the default profile); callers decide whether any error is fatal.
 */
export function parseNodeRanges(
  data: Record<string, unknown>,
  source = 'configmap',
  cache?: EntryCache,
): ParseResult {
  const errors: RangesError[] = [];
  const warnings: RangesWarning[] = [];
  let nodePortRange = parseNodePortRange(DEFAULT_NODE_PORT_RANGE);
  const npr = data[NODE_PORT_RANGE_KEY];
  if (npr !== undefined) {
    if (typeof npr !== 'string') {
      errors.push({ key: NODE_PORT_RANGE_KEY, message: 'value must be a string like "30000-32767"' });
    } else {
      try {
        nodePortRange = parseNodePortRange(npr);
      } catch (err) {
        errors.push({ key: NODE_PORT_RANGE_KEY, message: (err as Error).message });
      }
    }
  }
  let defaultProfile = makeProfile(parseLocalPortRange(KERNEL_DEFAULT_LOCAL_PORT_RANGE), PortSet.empty());
  const def = data[DEFAULT_KEY];
  if (def !== undefined) {
    if (typeof def !== 'string') errors.push({ key: DEFAULT_KEY, message: 'value must be a JSON string' });
    else {
      const parsed = parseEntry(DEFAULT_KEY, def, undefined, errors, cache, warnings);
      if (parsed) defaultProfile = parsed.profile;
    }
  }
  const nodes = new Map<string, NodeInfo>();
  for (const [key, value] of Object.entries(data)) {
    if (key === DEFAULT_KEY || key === NODE_PORT_RANGE_KEY) continue;
    const node = parseDataEntry(key, value, defaultProfile, errors, cache, warnings);
    if (node) nodes.set(node.name, node);
  }
  return { ranges: buildRanges(nodePortRange, defaultProfile, nodes, source), errors, warnings };
}

/** Builds the indexed form; also used when node labels change from the Node informer. */
export function buildRanges(
  nodePortRange: PortRange,
  defaultProfile: NodeProfile,
  nodes: Map<string, NodeInfo>,
  source: string,
): ClusterRanges {
  const profiles = new Map<string, { profile: NodeProfile; nodes: string[] }>();
  for (const node of nodes.values()) {
    let group = profiles.get(node.profile.key);
    if (!group) {
      group = { profile: node.profile, nodes: [] };
      profiles.set(node.profile.key, group);
    }
    group.nodes.push(node.name);
  }
  return {
    nodePortRange,
    nodePortSet: PortSet.range(nodePortRange.lo, nodePortRange.hi),
    defaultProfile,
    nodes,
    profiles,
    source,
  };
}

/** Ranges used when nothing is configured: kernel and apiserver defaults, no nodes. */
export function defaultRanges(): ClusterRanges {
  return parseNodeRanges({}, 'built-in defaults').ranges;
}

/**
 * Serialises one node entry with its fields in a fixed order, so equal data gives equal
 * text (the reporter compares texts to skip writes; the entry cache keys on them).
 * Fields that are undefined are left out.
 */
export function formatNodeEntry(entry: NodeEntryJson): string {
  const ordered: NodeEntryJson = {};
  if (entry.ipLocalPortRange !== undefined) ordered.ipLocalPortRange = entry.ipLocalPortRange;
  if (entry.ipLocalReservedPorts !== undefined) ordered.ipLocalReservedPorts = entry.ipLocalReservedPorts;
  if (entry.listeners !== undefined) ordered.listeners = entry.listeners;
  if (entry.listenersTruncated) ordered.listenersTruncated = true;
  if (entry.nodePortSourcePorts !== undefined) ordered.nodePortSourcePorts = entry.nodePortSourcePorts;
  if (entry.labels !== undefined) ordered.labels = entry.labels;
  return JSON.stringify(ordered);
}

/** A NodeEvidence back in the entry's JSON form (for `ranges export`). */
export function evidenceJson(evidence: NodeEvidence | undefined): NodeEntryJson {
  const out: NodeEntryJson = {};
  if (evidence?.listeners) {
    const { tcp, udp, sctp, truncated } = evidence.listeners;
    out.listeners = {};
    if (tcp) out.listeners.tcp = tcp.toString();
    if (udp) out.listeners.udp = udp.toString();
    if (sctp) out.listeners.sctp = sctp.toString();
    if (truncated) out.listenersTruncated = true;
  }
  if (evidence?.nodePortSourcePorts) {
    const { range, count } = evidence.nodePortSourcePorts;
    out.nodePortSourcePorts = { range: `${range.lo}-${range.hi}`, count };
  }
  return out;
}
