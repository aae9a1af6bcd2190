/**
 * POST /mutate: plans the enabled mutations (explicit safe nodePorts, reserved ports for
 * widened pod ranges) and answers with a JSON Patch diffed against the object exactly as
 * received. It never denies: the validating webhook decides. An internal error admits
 * without a patch and with a warning (the mutating webhook is failurePolicy Ignore).
 */
import jsonPatch from 'fast-json-patch';
import { planMutation } from '../core/mutate.js';
import { isObject, viewOf } from '../core/object-view.js';
import { isExempt, type Policy } from '../core/policy.js';
import { RULE_METAS } from '../rules/catalog.js';
import type { AdmissionRequest } from './admission-request.js';
import { allowed, patched, withWarnings } from './admission-response.js';
import type { AppDeps } from './deps.js';
import { reservationKey } from './nodeport-reservations.js';
import type { HandlerResult } from './validate-handler.js';

export const MUTATE_ERROR_WARNING =
  'portguard could not plan changes for this object (internal error); it was admitted unchanged';

/**
 * An object exempted from a rule is not changed to prevent it: administrator exemptions switch
 * off the mutation the rule's metadata names (`fixedBy`) for that object.
 */
function effectivePolicy(policy: Policy, object: unknown, namespace: string | undefined): Policy {
  if (policy.exemptions.length === 0) return policy;
  const view = viewOf(object, namespace);
  if (!view) return policy;
  const mutations = { ...policy.mutations };
  for (const { id, fixedBy } of RULE_METAS) {
    if (
      fixedBy &&
      isExempt(policy, { rule: id, kind: view.kind, namespace: view.namespace, name: view.name })
    )
      mutations[fixedBy] = false;
  }
  return { ...policy, mutations };
}

/**
 * The object as received minus `metadata.managedFields`, which the apiserver owns and no
 * mutation reads or writes. It is often the largest part of an object (a fifth to a third
 * of a kubectl-applied Service), and the patch diff walks what planMutation changed. Every
 * other field keeps its path, so the patch applies unchanged to the object as received.
 */
export function withoutManagedFields(object: unknown): unknown {
  if (!isObject(object) || !isObject(object.metadata) || !Object.hasOwn(object.metadata, 'managedFields'))
    return object;
  const { managedFields: _owned, ...metadata } = object.metadata;
  return { ...object, metadata };
}

export function handleMutate(req: AdmissionRequest, deps: AppDeps): HandlerResult {
  if (req.object === undefined || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) {
    return { outcome: allowed(), decision: 'allowed', rules: [] };
  }
  try {
    const policy = effectivePolicy(deps.getPolicy(), req.object, req.namespace);
    const object = withoutManagedFields(req.object);
    const state = deps.getState();
    const memory = deps.nodePortReservations;
    const key = memory ? reservationKey(req.uid, req.namespace, object) : '';
    const plan = planMutation(object, state, policy, deps.random ?? Math.random, memory?.recentFor(key));
    // A dry run stores nothing, so its picks must not hold ports from real creates.
    if (memory && plan.assigned.length > 0 && req.dryRun !== true)
      memory.remember(key, plan.assigned, state.inventory);
    const ops = plan.changed ? jsonPatch.compare(object as object, plan.object) : [];
    const notes = plan.notes.map((n) => `portguard: ${n}`);
    if (ops.length === 0) return { outcome: withWarnings(allowed(), notes), decision: 'allowed', rules: [] };
    return { outcome: withWarnings(patched(ops), notes), decision: 'patched', rules: [] };
  } catch (error) {
    return { outcome: withWarnings(allowed(), [MUTATE_ERROR_WARNING]), decision: 'error', rules: [], error };
  }
}
