/**
 * Chooses which listed objects audit reviews. A pod made from a workload template that
 * audit already reviews would repeat the workload's findings once per replica, so such
 * pods are reported once, on the workload; bare pods (and pods of controllers audit
 * does not know) are reviewed themselves.
 */
import { podMayReachNode } from '../core/node-reach.js';
import { isObject, type Json } from '../core/object-view.js';

/** Workload kinds whose pod templates audit reviews. */
export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
] as const;

/** Objects listed from a cluster, each carrying `kind` and `apiVersion`. */
export interface ClusterObjects {
  services: Json[];
  pods: Json[];
  workloads: Json[];
}

export interface Selection {
  /** Objects to review, in a stable order (kind group, namespace, name). */
  review: Json[];
  /** Pods skipped because their controller's template is reviewed. */
  coveredPods: number;
  /** Workloads skipped because their owner's template is reviewed (ReplicaSets of Deployments, Jobs of CronJobs). */
  coveredWorkloads: number;
}

/** The controller owner reference of an object, if any. */
export function controllerOf(obj: Json): { kind: string; uid: string } | undefined {
  const refs = obj?.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const ref = refs.find((r: Json) => isObject(r) && r.controller === true);
  if (!ref || typeof ref.kind !== 'string') return undefined;
  return { kind: ref.kind, uid: typeof ref.uid === 'string' ? ref.uid : '' };
}

const OWNED_BY: Record<string, string> = { ReplicaSet: 'Deployment', Job: 'CronJob' };

/**
 * Could the core deny this object? A Service with node ports, or a pod with a way to its
 * node (core/node-reach.ts: hostNetwork, hostPort, hostPID, hostPath). Other pods are
 * dropped while listing; the core would find nothing in them above info.
 */
export function mayTouchNodePorts(obj: Json): boolean {
  const spec = obj?.spec;
  if (!isObject(spec)) return false;
  if (obj.kind === 'Service') return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  return podMayReachNode(spec);
}

function uidOf(obj: Json): string {
  return typeof obj?.metadata?.uid === 'string' ? obj.metadata.uid : '';
}

function sortKey(obj: Json): string {
  return `${obj?.metadata?.namespace ?? ''}\u0000${obj?.metadata?.name ?? ''}`;
}

function byNamespaceName(a: Json, b: Json): number {
  const x = sortKey(a);
  const y = sortKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Picks the objects to review: every Service and workload, except ReplicaSets owned by a
 * Deployment and Jobs owned by a CronJob, and every pod whose controller is one of the
 * listed workloads (directly or through its reviewed owner).
 */
export function selectForReview(objects: ClusterObjects): Selection {
  const covered = new Set<string>();
  const workloads: Json[] = [];
  let coveredWorkloads = 0;
  for (const w of objects.workloads) {
    const uid = uidOf(w);
    if (uid) covered.add(uid);
    const owner = controllerOf(w);
    if (owner && OWNED_BY[w.kind] === owner.kind) coveredWorkloads++;
    else workloads.push(w);
  }
  const pods: Json[] = [];
  let coveredPods = 0;
  for (const p of objects.pods) {
    const owner = controllerOf(p);
    if (owner?.uid && covered.has(owner.uid)) coveredPods++;
    else pods.push(p);
  }
  const kindOrder = (o: Json) => {
    const i = (WORKLOAD_KINDS as readonly string[]).indexOf(o.kind);
    return i < 0 ? 99 : i;
  };
  workloads.sort((a, b) => kindOrder(a) - kindOrder(b) || byNamespaceName(a, b));
  return {
    review: [...[...objects.services].sort(byNamespaceName), ...workloads, ...pods.sort(byNamespaceName)],
    coveredPods,
    coveredWorkloads,
  };
}
