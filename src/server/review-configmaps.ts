/**
 * Which ConfigMaps a validation needs from the cluster, fetched before the (synchronous)
 * review. Only a pod spec that may reach its node can produce node findings, so ordinary
 * pods never cost an API call. On UPDATE the old object's ConfigMaps are fetched too, so
 * the old object is judged on the same data when deciding what is preexisting. Reads stay
 * in the request's namespace, the only one whose ConfigMaps the pod could mount.
 */
import { type ConfigMapData, configMapRefsOf } from '../core/configmap-inputs.js';
import { podMayReachNode } from '../core/node-reach.js';
import { viewOf } from '../core/object-view.js';
import type { AdmissionRequest } from './admission-request.js';
import type { AppDeps } from './deps.js';

/** The namespace and ConfigMap names to look up for `req`, or undefined when none are needed. */
export function configMapsNeeded(req: AdmissionRequest): { namespace: string; names: string[] } | undefined {
  const namespace = req.namespace;
  if (!namespace || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return undefined;
  const view = viewOf(req.object, namespace);
  // An object claiming another namespace is looked up nowhere (the core keys by the object's).
  if (!view?.pod || view.namespace !== namespace || !podMayReachNode(view.pod.spec)) return undefined;
  const names = configMapRefsOf(view.pod.spec);
  const old = req.operation === 'UPDATE' ? viewOf(req.oldObject, namespace) : undefined;
  // The new object's names come first: they are the ones a per-request cap must keep.
  if (old?.pod && old.namespace === namespace) {
    for (const n of configMapRefsOf(old.pod.spec)) if (!names.includes(n)) names.push(n);
  }
  return names.length > 0 ? { namespace, names } : undefined;
}

/** Looks up what `req` needs; undefined without a lookup, or when nothing is needed. */
export async function lookUpConfigMaps(
  req: AdmissionRequest,
  deps: Pick<AppDeps, 'configMapLookup' | 'logger'>,
): Promise<ConfigMapData | undefined> {
  if (!deps.configMapLookup) return undefined;
  let needed: ReturnType<typeof configMapsNeeded>;
  try {
    needed = configMapsNeeded(req);
  } catch (err) {
    // Not worth failing the review over: without the data the core reports the script unknown.
    deps.logger.warn(
      { uid: req.uid, err: err instanceof Error ? err.name : typeof err },
      'configmap refs unreadable',
    );
    return undefined;
  }
  return needed ? deps.configMapLookup.lookup(needed.namespace, needed.names) : undefined;
}
