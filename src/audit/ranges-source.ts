/**
 * Where audit's ranges come from: a file (`--ranges`, the what-if case) or the cluster's
 * ConfigMap. With a Node list the ranges become complete: every real node is present
 * (nodes without an entry on the default profile), with its live labels, so placement
 * and node findings name real nodes instead of "nodes without their own entry".
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { buildRanges, type ClusterRanges, type NodeInfo, parseNodeRanges } from '../core/node-ranges.js';
import { isObject } from '../core/object-view.js';

/** A ranges file or ConfigMap that cannot be used; the message names the file and key. */
export class RangesInputError extends Error {}

/** Accepts a ConfigMap manifest or a bare data map, as YAML or JSON. */
export function rangesFromText(text: string, source: string): ClusterRanges {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new RangesInputError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  if (!isObject(doc))
    throw new RangesInputError(`${source}: expected a ConfigMap or a map of ConfigMap data`);
  const data = doc.kind === 'ConfigMap' ? (isObject(doc.data) ? doc.data : {}) : doc;
  return rangesFromData(data, source);
}

/** Parses ConfigMap data; any bad key is fatal for audit, which must not guess. */
export function rangesFromData(data: Record<string, unknown>, source: string): ClusterRanges {
  const { ranges, errors } = parseNodeRanges(data, source);
  if (errors.length > 0) {
    throw new RangesInputError(errors.map((e) => `${source}: key "${e.key}": ${e.message}`).join('\n'));
  }
  return ranges;
}

export async function rangesFromFile(path: string): Promise<ClusterRanges> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RangesInputError(`${path}: cannot read: ${(err as Error).message}`);
  }
  return rangesFromText(text, path);
}

/**
 * Ranges holding exactly the listed nodes: entries for nodes that no longer exist are
 * dropped, nodes without an entry get the default profile, labels come from the Node.
 */
export function completeRanges(
  ranges: ClusterRanges,
  nodes: { name: string; labels: Record<string, string> }[],
): ClusterRanges {
  const out = new Map<string, NodeInfo>();
  for (const n of nodes) {
    const entry = ranges.nodes.get(n.name);
    out.set(n.name, { name: n.name, profile: entry?.profile ?? ranges.defaultProfile, labels: n.labels });
  }
  return buildRanges(ranges.nodePortRange, ranges.defaultProfile, out, ranges.source);
}
