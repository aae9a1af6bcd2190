/**
 * The facts by which a pod can touch its node's ports or port ranges. Every rule that
 * denies a pod goes through one of them: a script's sysctl write lands on the node only
 * with hostNetwork, or through nsenter with hostPID or a hostPath volume (pod-sysctls.ts);
 * a pod binds node ports only with hostNetwork or a hostPort (object-view.ts hostPortsOf).
 * A pod with none of them is judged in its own network namespace, where the worst finding
 * is info. The webhook's `pod-may-touch-node-ports` matchCondition is this predicate in CEL
 * (test/manifests/match-conditions.test.ts checks that it sends every pod the core denies).
 */
import { CONTAINER_LISTS, isObject, type Json, validPort } from './object-view.js';

export interface NodeReach {
  /** The pod shares the node's network namespace. */
  hostNetwork: boolean;
  /** The pod sees the node's processes, so `nsenter -t 1 -n` enters the node's netns. */
  hostPID: boolean;
  /** A host path can hold a node namespace file for `nsenter --net=FILE`. */
  hostPathVolume: boolean;
  /** Some container (of any list) binds a port on the node. */
  hostPort: boolean;
}

function declaresHostPort(spec: Json): boolean {
  return CONTAINER_LISTS.some(
    (list) =>
      Array.isArray(spec[list]) &&
      spec[list].some(
        (c: Json) =>
          isObject(c) &&
          Array.isArray(c.ports) &&
          c.ports.some((p: Json) => isObject(p) && validPort(p.hostPort)),
      ),
  );
}

export function nodeReachOf(spec: Json): NodeReach {
  const s = isObject(spec) ? spec : {};
  return {
    hostNetwork: s.hostNetwork === true,
    hostPID: s.hostPID === true,
    hostPathVolume:
      Array.isArray(s.volumes) && s.volumes.some((v: Json) => isObject(v) && isObject(v.hostPath)),
    hostPort: declaresHostPort(s),
  };
}

/** True when the pod spec has any fact by which the core could deny it. */
export function podMayReachNode(spec: Json): boolean {
  const r = nodeReachOf(spec);
  return r.hostNetwork || r.hostPID || r.hostPathVolume || r.hostPort;
}
