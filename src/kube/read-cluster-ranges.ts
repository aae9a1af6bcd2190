/**
 * One read of the cluster's node data, for the tools that need it once rather than kept
 * current: `portguard audit` (and the server's periodic audit), `portguard check
 * --kubeconfig` and `portguard ranges export`. It reads the same three sources the
 * server's informers watch (src/kube/cluster-state-source.ts) and joins them the same way,
 * with `composeRanges`: the ranges ConfigMap, the nodes' report objects
 * (src/kube/node-reports.ts) and the Nodes.
 *
 * It returns data and never decides: bad ConfigMap keys and bad report objects come back
 * as `errors` (with the object they are in), and what was missing as `notes`. Audit fails
 * on a bad ConfigMap key but only warns about one node's bad report; `check` and `ranges
 * export` fail on either (docs/audit.md, docs/check.md).
 */
import type { ClusterRanges, RangesError } from '../core/node-ranges.js';
import { EntryCache } from '../core/node-ranges.js';
import type { Json } from '../core/object-view.js';
import { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE } from './cluster-state-source.js';
import { httpStatus } from './http-status.js';
import { CoreV1Api, type KubeConfig } from './k8s.js';
import { NODE_REPORT_SELECTOR, type NodeReportError, NodeReports } from './node-reports.js';
import { ListError, listAll, type Page, type ProgressFn, pageQuery } from './paged-list.js';
import { applyConfigMap, composeRanges } from './ranges-model.js';

/** Where the node data lives: the ranges ConfigMap; report objects are in its namespace, named after it. */
export interface RangesLocation {
  readonly namespace: string;
  readonly name: string;
}

/** Where `portguard serve` and the manifests put the node data unless told otherwise. */
export const DEFAULT_RANGES_LOCATION: RangesLocation = {
  namespace: DEFAULT_NAMESPACE,
  name: DEFAULT_CONFIGMAP,
};

/** `ConfigMap <ns>/<name>`, as messages name objects. */
export function configMapRef(namespace: string, name: string): string {
  return `ConfigMap ${namespace}/${name}`;
}

/** A bad key of the ranges ConfigMap, or a bad report object, with the object it is in. */
export interface ClusterRangesError extends RangesError {
  /** `ConfigMap <ns>/<name>`: the ranges ConfigMap, or one node's report object. */
  object: string;
  /** True for a report object (one node's measured data), false for the ranges ConfigMap. */
  report: boolean;
}

/** One line per error: `ConfigMap ns/name: key "node.a": message` (no key for a report's shape). */
export function formatRangesError(e: ClusterRangesError): string {
  return e.key ? `${e.object}: key "${e.key}": ${e.message}` : `${e.object}: ${e.message}`;
}

export interface ClusterRangesRead {
  /** The effective per-node data, as the webhook would compute it from the same objects. */
  ranges: ClusterRanges;
  /** True when the Nodes were listed: `ranges.nodes` is then exactly the live nodes, with their labels. */
  nodesComplete: boolean;
  /** False when the ranges ConfigMap does not exist (its header then holds built-in defaults). */
  configMapFound: boolean;
  /** Bad ConfigMap keys and bad report objects; what they would have said is left out of `ranges`. */
  errors: ClusterRangesError[];
  /** What could not be read and what was assumed instead, one sentence each. */
  notes: string[];
}

/** The ranges ConfigMap's data, or undefined when it does not exist. */
export async function readRangesConfigMap(
  kc: KubeConfig,
  location: RangesLocation,
): Promise<Record<string, string> | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    const cm = await core.readNamespacedConfigMap({ namespace: location.namespace, name: location.name });
    return cm.data ?? {};
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw new ListError(configMapRef(location.namespace, location.name), httpStatus(err), err);
  }
}

/** Node names and labels, or undefined when Nodes cannot be listed (forbidden). */
export async function listNodes(
  kc: KubeConfig,
  progress?: ProgressFn,
): Promise<{ name: string; labels: Record<string, string> }[] | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    const nodes = await listAll(
      'nodes',
      (c) => core.listNode(pageQuery(c)) as Promise<Page>,
      (n) => n,
      progress,
    );
    return nodes.map((n) => ({
      name: String(n.metadata?.name ?? ''),
      labels: { ...(n.metadata?.labels ?? {}) },
    }));
  } catch (err) {
    if (err instanceof ListError && err.status === 403) return undefined;
    throw err;
  }
}

/** The report objects in the ranges ConfigMap's namespace (label `portguard.io/node-report=v1`). */
export async function listNodeReports(
  kc: KubeConfig,
  location: RangesLocation,
  progress?: ProgressFn,
): Promise<Json[]> {
  const core = kc.makeApiClient(CoreV1Api);
  return listAll(
    `node reports in ${location.namespace}`,
    (c) =>
      core.listNamespacedConfigMap({
        namespace: location.namespace,
        labelSelector: NODE_REPORT_SELECTOR,
        ...pageQuery(c),
      }) as Promise<Page>,
    (cm) => cm,
    progress,
  );
}

/** A report error from `NodeReports`, with its object named as messages name objects. */
function reportError(namespace: string, e: NodeReportError): ClusterRangesError {
  return { object: configMapRef(namespace, e.object), key: e.key, message: e.message, report: true };
}

/**
 * Reads the ranges ConfigMap at `location` (absent: built-in defaults, noted), the report
 * objects in its namespace, and the Nodes (forbidden: no live nodes, noted), and joins them
 * with `composeRanges`. Throws `ListError` when the ConfigMap or the reports cannot be read
 * or the Nodes fail other than with 403.
 */
export async function readClusterRanges(
  kc: KubeConfig,
  location: RangesLocation,
  progress?: ProgressFn,
): Promise<ClusterRangesRead> {
  const source = configMapRef(location.namespace, location.name);
  const notes: string[] = [];
  const data = await readRangesConfigMap(kc, location);
  if (!data) {
    notes.push(
      `${source} not found; using built-in defaults (NodePort range 30000-32767, ` +
        'the kernel default ip_local_port_range 32768 60999 for nodes without data of their own)',
    );
  }
  // One cache for the ConfigMap and the reports: the fleet's few distinct profiles are built once.
  const cache = new EntryCache();
  const config = applyConfigMap(data ?? {}, undefined, cache);
  const reports = new NodeReports(location.name, cache);
  // Reports inherit what they leave out from the ConfigMap's default, as in the server.
  reports.replaceAll(
    (await listNodeReports(kc, location, progress)) as Parameters<NodeReports['replaceAll']>[0],
    config.defaultProfile,
  );
  const nodes = await listNodes(kc, progress);
  if (!nodes) {
    notes.push(
      'cannot list Nodes (forbidden); the nodes known are those with a ConfigMap entry or a report ' +
        'object, with the labels written there, and any other node is judged by the default profile',
    );
  }
  const live = nodes ? new Map(nodes.map((n) => [n.name, n.labels])) : undefined;
  return {
    ranges: composeRanges(config, live, source, reports.nodes()),
    nodesComplete: nodes !== undefined,
    configMapFound: data !== undefined,
    errors: [
      ...config.errors.map((e) => ({ ...e, object: source, report: false })),
      ...reports.errors().map((e) => reportError(location.namespace, e)),
    ],
    notes,
  };
}
