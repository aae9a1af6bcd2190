/**
 * Lists what audit reviews from a cluster through client-node: the objects that hold or
 * may hold node ports, and the workloads. Every list is paged (src/kube/paged-list.ts),
 * and only the objects audit keeps stay in memory. The node data (ranges ConfigMap,
 * report objects, Nodes) is read by src/kube/read-cluster-ranges.ts.
 */

import type { Json } from '../core/object-view.js';
import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig } from '../kube/k8s.js';
import { ListError, listAll, type Page, type ProgressFn, pageQuery } from '../kube/paged-list.js';
import { type ClusterObjects, mayTouchNodePorts } from './select.js';

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
  const services = await listAll(
    'services',
    (c) => core.listServiceForAllNamespaces(pageQuery(c)) as Promise<Page>,
    typed('Service', 'v1', true),
    progress,
  );
  // There is no field selector for hostPort, so one paged list of all pods serves both
  // hostNetwork and hostPort pods; only those are kept.
  const pods = await listAll(
    'pods',
    (c) => core.listPodForAllNamespaces(pageQuery(c)) as Promise<Page>,
    typed('Pod', 'v1', true),
    progress,
  );
  const workloadLists: [string, string, string, (c: string | undefined) => Promise<Page>][] = [
    [
      'deployments',
      'Deployment',
      'apps/v1',
      (c) => apps.listDeploymentForAllNamespaces(pageQuery(c)) as Promise<Page>,
    ],
    [
      'statefulsets',
      'StatefulSet',
      'apps/v1',
      (c) => apps.listStatefulSetForAllNamespaces(pageQuery(c)) as Promise<Page>,
    ],
    [
      'daemonsets',
      'DaemonSet',
      'apps/v1',
      (c) => apps.listDaemonSetForAllNamespaces(pageQuery(c)) as Promise<Page>,
    ],
    [
      'replicasets',
      'ReplicaSet',
      'apps/v1',
      (c) => apps.listReplicaSetForAllNamespaces(pageQuery(c)) as Promise<Page>,
    ],
    [
      'replicationcontrollers',
      'ReplicationController',
      'v1',
      (c) => core.listReplicationControllerForAllNamespaces(pageQuery(c)) as Promise<Page>,
    ],
    ['jobs', 'Job', 'batch/v1', (c) => batch.listJobForAllNamespaces(pageQuery(c)) as Promise<Page>],
    [
      'cronjobs',
      'CronJob',
      'batch/v1',
      (c) => batch.listCronJobForAllNamespaces(pageQuery(c)) as Promise<Page>,
    ],
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
