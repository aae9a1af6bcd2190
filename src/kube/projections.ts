/**
 * Shrinks informer objects to the fields the cluster state reads, before the informer
 * caches them. List items arrive without `kind` (the apiserver leaves it off), and the
 * inventory keys objects by kind, so every projection stamps it back on.
 *
 * Memory: the hostPort watch has to see every pod in the cluster (there is no field
 * selector for hostPort), and the informer keeps a cache entry per pod. A pod without
 * host ports is cached as a stub of name, namespace and resourceVersion (a few hundred
 * bytes instead of tens of KB), so 100,000 pods cost tens of MB, not gigabytes.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { isObject, type Json } from '../core/object-view.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are untyped JSON here.
type Loose = KubernetesObject & Record<string, any>;

function meta(obj: Loose): Json {
  const m: Json = obj.metadata ?? {};
  const out: Json = { name: m.name, resourceVersion: m.resourceVersion };
  if (m.namespace !== undefined) out.namespace = m.namespace;
  return out;
}

function portsOnly(containers: unknown): Json[] | undefined {
  if (!Array.isArray(containers)) return undefined;
  return containers.map((c: Json) => ({ name: c?.name, ports: c?.ports }));
}

/** True when some container or init container declares a hostPort. */
export function declaresHostPort(pod: Loose): boolean {
  const spec = pod.spec;
  if (!isObject(spec)) return false;
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isObject(c) || !Array.isArray(c.ports)) continue;
      for (const p of c.ports)
        if (isObject(p) && typeof p.hostPort === 'number' && p.hostPort > 0) return true;
    }
  }
  return false;
}

/** A finished pod holds no ports any more. */
export function isTerminated(pod: Loose): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The pod fields the inventory reads: node, hostNetwork and container ports. */
export function projectPod(pod: Loose): Loose {
  const spec: Json = pod.spec ?? {};
  const out: Loose = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(pod),
    spec: {
      nodeName: spec.nodeName,
      hostNetwork: spec.hostNetwork === true,
      containers: portsOnly(spec.containers) ?? [],
    },
    status: { phase: pod.status?.phase },
  };
  const init = portsOnly(spec.initContainers);
  if (init) out.spec.initContainers = init;
  return out;
}

/** For the all-pods watch: full projection for pods with hostPorts, a stub for the rest. */
export function projectHostPortPod(pod: Loose): Loose {
  if (declaresHostPort(pod)) return projectPod(pod);
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta(pod) };
}

/** Services keep their whole spec (the nodePort rules read several fields of it). */
export function projectService(svc: Loose): Loose {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(svc), spec: svc.spec };
}

/** Nodes keep only their labels; node status (images, conditions) is most of a Node's size. */
export function projectNode(node: Loose): Loose {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { ...meta(node), labels: { ...(node.metadata?.labels ?? {}) } },
  };
}

/** ConfigMaps keep their data. */
export function projectConfigMap(cm: Loose): Loose {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(cm), data: cm.data ?? {} };
}
