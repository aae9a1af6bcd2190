/**
 * Node data objects as they sit in a cluster, for tests that read it live: the ranges
 * ConfigMap, the nodes' report objects (labelled, named `<ranges ConfigMap>.<node>`, in
 * its namespace) and Nodes.
 */
import { formatNodeEntry } from '../../src/core/node-ranges.js';
import { NODE_REPORT_LABEL, NODE_REPORT_LABEL_VALUE } from '../../src/kube/node-reports.js';

export interface Location {
  namespace: string;
  name: string;
}

/** The report object of `node`, as the reporter writes it; `labelled: false` leaves the label off. */
export function reportObject(
  at: Location,
  node: string,
  entry: Record<string, unknown>,
  opts: { namespace?: string; name?: string; labelled?: boolean } = {},
) {
  return {
    metadata: {
      name: opts.name ?? `${at.name}.${node}`,
      namespace: opts.namespace ?? at.namespace,
      ...(opts.labelled === false ? {} : { labels: { [NODE_REPORT_LABEL]: NODE_REPORT_LABEL_VALUE } }),
    },
    data: { [`node.${node}`]: formatNodeEntry(entry) },
  };
}

/** The ranges ConfigMap at `at` holding `data`. */
export function rangesConfigMap(at: Location, data: Record<string, string>) {
  return { metadata: { name: at.name, namespace: at.namespace }, data };
}

export function nodeObject(name: string, labels: Record<string, string> = {}) {
  return { metadata: { name, labels } };
}
