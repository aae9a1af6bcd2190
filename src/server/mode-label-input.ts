/**
 * The webhook's adapter into the mode label guard: a Namespace AdmissionRequest becomes
 * the labels before and after and the requesting user, which is all the guard decides on.
 */
import type { ModeLabelInput } from '../core/mode-label-guard.js';
import { isObject, type Json } from '../core/object-view.js';
import type { AdmissionRequest } from './admission-request.js';

/** Namespaces go to the mode label guard; they carry no ports for the rules. */
export function isNamespaceRequest(req: AdmissionRequest): boolean {
  return req.kind.group === '' && req.kind.kind === 'Namespace';
}

/** String-valued labels of an object; anything else (absent, malformed) is no labels. */
function labelsOf(object: unknown): Record<string, string> {
  const labels: Json = isObject(object) && isObject(object.metadata) ? object.metadata.labels : undefined;
  if (!isObject(labels)) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') out[key] = value;
  return out;
}

export function toModeLabelInput(req: AdmissionRequest): ModeLabelInput {
  const input: ModeLabelInput = {
    operation: req.operation,
    name: req.name ?? '',
    newLabels: labelsOf(req.object),
  };
  // oldObject is null on CREATE (and absent after decoding): no labels before.
  if (req.oldObject !== undefined) input.oldLabels = labelsOf(req.oldObject);
  if (req.userInfo) input.user = req.userInfo;
  return input;
}
