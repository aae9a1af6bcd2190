/**
 * The node data of a live cluster for `portguard check --kubeconfig` and `portguard ranges
 * export`: load the kubeconfig, read through the library's reader
 * (src/kube/read-cluster-ranges.ts), pass its notes on, and refuse data with any error,
 * since CI must not pass on data it only half understood. The Kubernetes client is loaded
 * on demand, so `check` without `--kubeconfig` never pays for it.
 */
import type { ClusterRangesRead } from '../kube/read-cluster-ranges.js';

/** The flags that name a cluster and the node data in it. */
export interface ClusterFlags {
  /** Kubeconfig file (`in-cluster` for a pod's service account); the default loading rules when absent. */
  kubeconfig?: string;
  context?: string;
  /** Namespace of the ranges ConfigMap and the report objects (default portguard-system). */
  namespace?: string;
  /** Name of the ranges ConfigMap (default portguard-node-ranges). */
  configmap?: string;
}

/** The cluster's node data cannot be used: unreadable kubeconfig or objects, or bad data. Exit 2. */
export class ClusterReadError extends Error {
  override name = 'ClusterReadError';
}

/** Reads the cluster's node data; notes go to `note`; throws `ClusterReadError` on any problem. */
export async function readRangesFromCluster(
  flags: ClusterFlags,
  note: (message: string) => void,
): Promise<ClusterRangesRead> {
  const [{ loadKubeConfig }, reader, { ListError }] = await Promise.all([
    import('../kube/load-kubeconfig.js'),
    import('../kube/read-cluster-ranges.js'),
    import('../kube/paged-list.js'),
  ]);
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    kc = loadKubeConfig(flags.kubeconfig, flags.context);
  } catch (err) {
    throw new ClusterReadError(`cannot load kubeconfig: ${(err as Error).message}`);
  }
  const location = {
    namespace: flags.namespace ?? reader.DEFAULT_RANGES_LOCATION.namespace,
    name: flags.configmap ?? reader.DEFAULT_RANGES_LOCATION.name,
  };
  let read: ClusterRangesRead;
  try {
    read = await reader.readClusterRanges(kc, location);
  } catch (err) {
    if (err instanceof ListError) {
      throw new ClusterReadError(`${err.message} (check --kubeconfig, --context and RBAC)`);
    }
    throw err;
  }
  for (const n of read.notes) note(n);
  if (read.errors.length > 0) {
    throw new ClusterReadError(read.errors.map(reader.formatRangesError).join('\n'));
  }
  return read;
}
