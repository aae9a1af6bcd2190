/**
 * A ValidatingAdmissionPolicy judged the way kube-apiserver judges it, so tests can run the
 * shipped YAML against captured AdmissionRequests: matchConstraints (resource, operation,
 * name, namespace labels) and matchConditions pick the request, variables are bound in order,
 * and every validation that is not true denies with its message. Only the subset portguard's
 * policies use is modelled; anything else throws rather than silently matching.
 */
import { evaluate } from '@marcbachmann/cel-js';
import type { K8sObject } from './kustomize.js';

// biome-ignore lint/suspicious/noExplicitAny: AdmissionRequests are arbitrary JSON under test
export type AdmissionRequest = Record<string, any>;

export type PolicyOutcome = { matched: false } | { matched: true; allowed: boolean; messages: string[] };

interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
  resourceNames?: string[];
}

const known = ['resourceRules', 'namespaceSelector'];

function constraintsMatch(constraints: K8sObject['spec'], request: AdmissionRequest): boolean {
  for (const field of Object.keys(constraints)) {
    if (!known.includes(field)) throw new Error(`matchConstraints.${field} is not modelled`);
  }
  const selector = constraints.namespaceSelector?.matchLabels as Record<string, string> | undefined;
  if (constraints.namespaceSelector?.matchExpressions) throw new Error('matchExpressions is not modelled');
  // The apiserver labels every namespace with its own name; that is the only label modelled.
  const nsLabels: Record<string, string> = { 'kubernetes.io/metadata.name': request.namespace };
  if (selector && Object.entries(selector).some(([k, v]) => nsLabels[k] !== v)) return false;
  const { group, version, resource } = request.resource;
  return (constraints.resourceRules as ResourceRule[]).some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.apiVersions.includes(version) &&
      r.resources.includes(resource) &&
      r.operations.includes(request.operation) &&
      (r.resourceNames === undefined || r.resourceNames.includes(request.name)),
  );
}

/** One CEL evaluation; the apiserver treats a wrongly typed result like an error. */
function run<T>(expression: string, context: Record<string, unknown>, type: 'boolean' | 'string'): T {
  const value = evaluate(expression, context);
  if (typeof value !== type) throw new Error(`${expression} returned ${String(value)}, not ${type}`);
  return value as T;
}

/** Judges `request` by `policy` (a ValidatingAdmissionPolicy object as built). */
export function judge(policy: K8sObject, request: AdmissionRequest): PolicyOutcome {
  const spec = policy.spec;
  if (!constraintsMatch(spec.matchConstraints, request)) return { matched: false };
  // The apiserver's `request` has no object/oldObject; they are variables of their own.
  const { object = null, oldObject = null, ...rest } = request;
  const context: Record<string, unknown> = { request: rest, object, oldObject };
  for (const c of spec.matchConditions ?? []) {
    if (!run<boolean>(c.expression, context, 'boolean')) return { matched: false };
  }
  const variables: Record<string, unknown> = {};
  context.variables = variables;
  for (const v of spec.variables ?? []) variables[v.name] = evaluate(v.expression, context);
  const messages: string[] = [];
  for (const v of spec.validations) {
    if (run<boolean>(v.expression, context, 'boolean')) continue;
    messages.push(v.messageExpression ? run<string>(v.messageExpression, context, 'string') : v.message);
  }
  return { matched: true, allowed: messages.length === 0, messages };
}
