/**
 * Reads what audit needs from a cluster through client-node: the objects that hold or
 * may hold node ports, the Nodes and the ranges ConfigMap. Every list is paged
 * (`limit` + `continue`) so a large cluster never has to answer one huge list, and only
 * the objects audit keeps stay in memory.
 */

import type { Json } from '../core/object-view.js';
import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig } from '../kube/k8s.js';
import { RANGES_CONFIGMAP } from './scan.js';
import { type ClusterObjects, mayTouchNodePorts } from './select.js';

export const PAGE_SIZE = 500;

/** Called after each page: what is listed and how many so far. */
export type ProgressFn = (what: string, count: number) => void;

interface Page {
  items: Json[];
  metadata?: { _continue?: string };
}

/** HTTP status of a client-node error, if it carries one. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export class ListError extends Error {
  constructor(
    readonly what: string,
    readonly status: number | undefined,
    cause: unknown,
  ) {
    super(
      `cannot read ${what}: ${status ? `HTTP ${status}` : cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/**
 * Follows `continue` tokens to the end. If a token expires (410 Gone) the list starts
 * over once, since a mix of two snapshots could miss objects.
 */
export async function listAll(
  what: string,
  page: (cont: string | undefined) => Promise<Page>,
  /** Maps each item to what is kept, or undefined to drop it while paging. */
  select: (item: Json) => Json | undefined,
  progress?: ProgressFn,
): Promise<Json[]> {
  for (let attempt = 0; ; attempt++) {
    const out: Json[] = [];
    let seen = 0;
    let cont: string | undefined;
    try {
      do {
        const res = await page(cont);
        for (const item of res.items) {
          const kept = select(item);
          if (kept !== undefined) out.push(kept);
        }
        seen += res.items.length;
        progress?.(what, seen);
        cont = res.metadata?._continue || undefined;
      } while (cont);
      return out;
    } catch (err) {
      if (statusOf(err) === 410 && attempt === 0) continue;
      throw new ListError(what, statusOf(err), err);
    }
  }
}

/**
 * The typed client drops `kind`/`apiVersion` from list items; the core needs them.
 * With `onlyPortHolders`, objects the core could not deny (see mayTouchNodePorts) are dropped while paging.
 */
function typed(kind: string, apiVersion: string, onlyPortHolders = false) {
  return (item: Json): Json | undefined => {
    const obj = { ...item, kind, apiVersion };
    return !onlyPortHolders || mayTouchNodePorts(obj) ? obj : undefined;
  };
}

export interface ListedCluster {
  objects: ClusterObjects;
  /** Kinds that could not be listed (e.g. forbidden), so the report can say what is missing. */
  skipped: string[];
}

/**
 * Lists Services with node ports, pods that bind host ports (hostNetwork or hostPort),
 * and every workload kind. A forbidden workload kind is skipped and named in `skipped`;
 * Services and pods are required.
 */
export async function listClusterObjects(kc: KubeConfig, progress?: ProgressFn): Promise<ListedCluster> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const p = (cont: string | undefined) => ({ limit: PAGE_SIZE, ...(cont ? { _continue: cont } : {}) });
  const services = await listAll(
    'services',
    (c) => core.listServiceForAllNamespaces(p(c)) as Promise<Page>,
    typed('Service', 'v1', true),
    progress,
  );
  // There is no field selector for hostPort, so one paged list of all pods serves both
  // hostNetwork and hostPort pods; only those are kept.
  const pods = await listAll(
    'pods',
    (c) => core.listPodForAllNamespaces(p(c)) as Promise<Page>,
    typed('Pod', 'v1', true),
    progress,
  );
  const workloadLists: [string, string, string, (c: string | undefined) => Promise<Page>][] = [
    [
      'deployments',
      'Deployment',
      'apps/v1',
      (c) => apps.listDeploymentForAllNamespaces(p(c)) as Promise<Page>,
    ],
    [
      'statefulsets',
      'StatefulSet',
      'apps/v1',
      (c) => apps.listStatefulSetForAllNamespaces(p(c)) as Promise<Page>,
    ],
    ['daemonsets', 'DaemonSet', 'apps/v1', (c) => apps.listDaemonSetForAllNamespaces(p(c)) as Promise<Page>],
    [
      'replicasets',
      'ReplicaSet',
      'apps/v1',
      (c) => apps.listReplicaSetForAllNamespaces(p(c)) as Promise<Page>,
    ],
    [
      'replicationcontrollers',
      'ReplicationController',
      'v1',
      (c) => core.listReplicationControllerForAllNamespaces(p(c)) as Promise<Page>,
    ],
    ['jobs', 'Job', 'batch/v1', (c) => batch.listJobForAllNamespaces(p(c)) as Promise<Page>],
    ['cronjobs', 'CronJob', 'batch/v1', (c) => batch.listCronJobForAllNamespaces(p(c)) as Promise<Page>],
  ];
  const workloads: Json[] = [];
  const skipped: string[] = [];
  for (const [what, kind, apiVersion, page] of workloadLists) {
    try {
      workloads.push(...(await listAll(what, page, typed(kind, apiVersion), progress)));
    } catch (err) {
      if (err instanceof ListError && (err.status === 403 || err.status === 404)) skipped.push(what);
      else throw err;
    }
  }
  return { objects: { services, pods, workloads }, skipped };
}

/** Node names and labels, or undefined when Nodes cannot be listed (audit then assumes unknown nodes). */
export async function listNodes(
  kc: KubeConfig,
  progress?: ProgressFn,
): Promise<{ name: string; labels: Record<string, string> }[] | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    const nodes = await listAll(
      'nodes',
      (c) => core.listNode({ limit: PAGE_SIZE, ...(c ? { _continue: c } : {}) }) as Promise<Page>,
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

/** The ranges ConfigMap's data, or undefined when it does not exist. */
export async function readRangesConfigMap(kc: KubeConfig): Promise<Record<string, string> | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    const cm = await core.readNamespacedConfigMap({ ...RANGES_CONFIGMAP });
    return cm.data ?? {};
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw new ListError(
      `ConfigMap ${RANGES_CONFIGMAP.namespace}/${RANGES_CONFIGMAP.name}`,
      statusOf(err),
      err,
    );
  }
}
