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
  [extra: string]: unknown;
}

const entrySchema = {
  type: 'object',
  properties: {
    ipLocalPortRange: { type: 'string' },
    ipLocalReservedPorts: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
  },
  additionalProperties: true,
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateEntry = ajv.compile<NodeEntryJson>(entrySchema);

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

export interface NodeInfo {
  name: string;
  profile: NodeProfile;
  labels: Record<string, string>;
}

export interface RangesError {
  /** ConfigMap data key the error belongs to. */
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

function parseEntry(
  key: string,
  raw: string,
  fallback: NodeProfile | undefined,
  errors: RangesError[],
): { profile: NodeProfile; labels: Record<string, string> } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    errors.push({ key, message: `value is not valid JSON: ${(err as Error).message}` });
    return undefined;
  }
  if (!validateEntry(json)) {
    const detail = (validateEntry.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
      .join('; ');
    errors.push({ key, message: `value does not match the schema: ${detail}` });
    return undefined;
  }
  try {
    const ephemeral =
      json.ipLocalPortRange !== undefined
        ? parseLocalPortRange(json.ipLocalPortRange)
        : (fallback?.ephemeral ?? parseLocalPortRange(KERNEL_DEFAULT_LOCAL_PORT_RANGE));
    const reserved =
      json.ipLocalReservedPorts !== undefined
        ? parseReservedPorts(json.ipLocalReservedPorts)
        : (fallback?.reserved ?? PortSet.empty());
    return { profile: makeProfile(ephemeral, reserved), labels: json.labels ?? {} };
  } catch (err) {
    if (err instanceof PortParseError) {
      const field = /reserved/.test(err.message) ? 'ipLocalReservedPorts' : 'ipLocalPortRange';
      errors.push({ key, message: `${field}: ${err.message}` });
      return undefined;
    }
    throw err;
  }
}

export interface ParseResult {
  ranges: ClusterRanges;
  errors: RangesError[];
}

/**
 * Parses ConfigMap `data`. Bad node entries are reported and skipped (that node falls
 * back to the default profile); callers decide whether any error is fatal.
 */
export function parseNodeRanges(data: Record<string, unknown>, source = 'configmap'): ParseResult {
  const errors: RangesError[] = [];
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
      const parsed = parseEntry(DEFAULT_KEY, def, undefined, errors);
      if (parsed) defaultProfile = parsed.profile;
    }
  }
  const nodes = new Map<string, NodeInfo>();
  for (const [key, value] of Object.entries(data)) {
    if (!key.startsWith(NODE_KEY_PREFIX)) {
      if (key !== DEFAULT_KEY && key !== NODE_PORT_RANGE_KEY) {
        errors.push({
          key,
          message: `unknown key; expected "${NODE_PORT_RANGE_KEY}", "${DEFAULT_KEY}" or "node.<nodeName>"`,
        });
      }
      continue;
    }
    const name = key.slice(NODE_KEY_PREFIX.length);
    if (name === '') {
      errors.push({ key, message: 'node name is empty' });
      continue;
    }
    if (typeof value !== 'string') {
      errors.push({ key, message: 'value must be a JSON string' });
      continue;
    }
    const parsed = parseEntry(key, value, defaultProfile, errors);
    if (parsed) nodes.set(name, { name, profile: parsed.profile, labels: parsed.labels });
  }
  return { ranges: buildRanges(nodePortRange, defaultProfile, nodes, source), errors };
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

/** Serialises one node entry the way the reporter writes it. */
export function formatNodeEntry(ephemeral: string, reserved: string, labels: Record<string, string>): string {
  return JSON.stringify({ ipLocalPortRange: ephemeral, ipLocalReservedPorts: reserved, labels });
}
