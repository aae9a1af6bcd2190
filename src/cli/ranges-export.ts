/**
 * The effective per-node view of a cluster as a node-ranges ConfigMap that `portguard
 * check --ranges` reads (src/cli/ranges-file.ts): `nodePortRange`, `default`, and one
 * `node.<name>` entry per node with its effective profile, its labels and what its
 * reporter measured. Pure, and deterministic: nodes sorted by name, labels by key, entry
 * fields in `formatNodeEntry`'s fixed order, and no timestamps.
 */
import { stringify } from 'yaml';
import {
  type ClusterRanges,
  DEFAULT_KEY,
  evidenceJson,
  formatNodeEntry,
  NODE_KEY_PREFIX,
  NODE_PORT_RANGE_KEY,
  type NodeEntryJson,
  type NodeProfile,
} from '../core/node-ranges.js';

/** Annotation on the exported ConfigMap naming the ConfigMap it was read from. */
export const EXPORTED_FROM_ANNOTATION = 'portguard.io/exported-from';

/** A profile written out in full, as the kernel prints the sysctls, so nothing is inherited on reading. */
function profileJson(profile: NodeProfile): NodeEntryJson {
  return {
    ipLocalPortRange: `${profile.ephemeral.lo} ${profile.ephemeral.hi}`,
    ipLocalReservedPorts: profile.reserved.toString(),
  };
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) out[key] = labels[key]!;
  return out;
}

/** The ConfigMap data: the header keys first, then one entry per node in name order. */
export function exportData(ranges: ClusterRanges): Record<string, string> {
  const data: Record<string, string> = {
    [NODE_PORT_RANGE_KEY]: `${ranges.nodePortRange.lo}-${ranges.nodePortRange.hi}`,
    [DEFAULT_KEY]: formatNodeEntry(profileJson(ranges.defaultProfile)),
  };
  for (const name of [...ranges.nodes.keys()].sort()) {
    const node = ranges.nodes.get(name)!;
    data[`${NODE_KEY_PREFIX}${name}`] = formatNodeEntry({
      ...profileJson(node.profile),
      ...evidenceJson(node.evidence),
      labels: sortedLabels(node.labels),
    });
  }
  return data;
}

/**
 * The export as ConfigMap YAML. It is named `<name>-export` and carries no namespace, so
 * applying it by mistake cannot overwrite the ranges ConfigMap it was read from.
 */
export function formatRangesExport(ranges: ClusterRanges, from: { namespace: string; name: string }): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${from.name}-export`,
      annotations: { [EXPORTED_FROM_ANNOTATION]: `${from.namespace}/${from.name}` },
    },
    data: exportData(ranges),
  };
  // No line folding: every entry stays on one line, so diffs of two exports are per node.
  return stringify(doc, { lineWidth: 0 });
}
