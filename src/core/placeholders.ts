/**
 * Server-side dry run hands validating webhooks placeholder nodePorts (32769, 32770, ...)
 * for ports the user left unset. A port is the user's own when managedFields records
 * the field for that port entry, or when the old object already had it; anything else
 * in a dry run is a placeholder and must not be judged as real.
 */
import { isObject, type Json, type ServicePortRef } from './object-view.js';

function managedFieldSets(object: Json): Json[] {
  const mf = object?.metadata?.managedFields;
  return Array.isArray(mf)
    ? mf
        .filter(isObject)
        .map((m) => m.fieldsV1)
        .filter(isObject)
    : [];
}

function ownsNodePort(fields: Json, ref: ServicePortRef): boolean {
  const spec = fields['f:spec'];
  if (!isObject(spec)) return false;
  if (ref.field === 'healthCheckNodePort') return Object.hasOwn(spec, 'f:healthCheckNodePort');
  const ports = spec['f:ports'];
  if (!isObject(ports)) return false;
  const entry = ports[`k:{"port":${ref.servicePort},"protocol":"${ref.protocol}"}`];
  return isObject(entry) && Object.hasOwn(entry, 'f:nodePort');
}

function oldValue(oldObject: Json, ref: ServicePortRef): number | undefined {
  if (ref.field === 'healthCheckNodePort') return oldObject?.spec?.healthCheckNodePort;
  const ports = oldObject?.spec?.ports;
  if (!Array.isArray(ports)) return undefined;
  const match = ports.find(
    (p: Json) => isObject(p) && p.port === ref.servicePort && (p.protocol ?? 'TCP') === ref.protocol,
  );
  return match?.nodePort;
}

export function placeholderDetector(
  dryRun: boolean,
  object: Json,
  oldObject: Json,
): (ref: ServicePortRef) => boolean {
  if (!dryRun) return () => false;
  const sets = managedFieldSets(object);
  return (ref) => {
    if (oldValue(oldObject, ref) === ref.port) return false;
    return !sets.some((fields) => ownsNodePort(fields, ref));
  };
}
