/**
 * The audit scan over already-listed objects: the same `review()` core as the webhook
 * and `check`, fed with every listed object in the inventory, in audit mode so nothing
 * is ever blocked. Pure apart from the injected reviewer, so what-if runs and tests can
 * feed it fixture cluster states.
 */
import type { ClusterRanges } from '../core/node-ranges.js';
import type { Json } from '../core/object-view.js';
import { DEFAULT_NODES } from '../core/placement.js';
import { isExempt, type Policy } from '../core/policy.js';
import type { Reviewer } from '../core/review.js';
import { type ClusterState, emptyState } from '../core/state.js';
import type { Finding } from '../core/types.js';
import type { RangesLocation } from '../kube/read-cluster-ranges.js';
import { NODE_RULES } from '../rules/index.js';
import { type ClusterObjects, selectForReview } from './select.js';

/** An object reference as PolicyReports carry it. */
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface AuditEntry {
  finding: Finding;
  /** The objects the finding is about: one object, or the nodes of a profile. */
  resources: ResourceRef[];
  /** Removed by an administrator exemption; reported as `skip`. */
  exempted: boolean;
}

export interface AuditResult {
  entries: AuditEntry[];
  /** Reviewed objects that had no finding at all (PolicyReport `pass`). */
  clean: ResourceRef[];
  reviewedCount: number;
  coveredPods: number;
  coveredWorkloads: number;
  /** The state the scan ran against; `--fix` picks free ports from it. */
  state: ClusterState;
}

export interface ScanInput {
  objects: ClusterObjects;
  ranges: ClusterRanges;
  /** True when `ranges.nodes` holds every node of the cluster. */
  nodesComplete: boolean;
  policy: Policy;
  reviewer: Reviewer;
  /** The ranges ConfigMap; node findings for the default profile point at it. */
  rangesConfigMap: RangesLocation;
}

export function refOf(obj: Json): ResourceRef {
  const meta = obj?.metadata ?? {};
  const ref: ResourceRef = {
    apiVersion: String(obj?.apiVersion ?? ''),
    kind: String(obj?.kind ?? ''),
    name: String(meta.name ?? ''),
  };
  if (typeof meta.namespace === 'string' && meta.namespace !== '') ref.namespace = meta.namespace;
  if (typeof meta.uid === 'string' && meta.uid !== '') ref.uid = meta.uid;
  return ref;
}

/** Node findings point at the Nodes, or at the ranges ConfigMap for the default profile. */
export function nodeResources(nodes: string[], rangesConfigMap: RangesLocation): ResourceRef[] {
  return nodes.map((n) =>
    n === DEFAULT_NODES
      ? {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: rangesConfigMap.namespace,
          name: rangesConfigMap.name,
        }
      : { apiVersion: 'v1', kind: 'Node', name: n },
  );
}

/** Audit never blocks: findings are reported whatever mode namespaces ask for. */
function auditPolicy(policy: Policy): Policy {
  return { ...policy, mode: 'audit', allowNamespaceModeLabel: false };
}

function compareEntries(a: AuditEntry, b: AuditEntry): number {
  const x = a.finding;
  const y = b.finding;
  return (
    x.namespace.localeCompare(y.namespace) ||
    x.kind.localeCompare(y.kind) ||
    x.name.localeCompare(y.name) ||
    x.path.localeCompare(y.path, undefined, { numeric: true }) ||
    x.rule.localeCompare(y.rule)
  );
}

/** Reviews every selected object against the cluster state built from all listed objects. */
export function scanObjects(input: ScanInput): AuditResult {
  const state = emptyState(input.ranges);
  state.nodesComplete = input.nodesComplete;
  // Services and pods are what actually hold ports on the nodes; workload templates are
  // reviewed against them, and their running pods are in the list themselves.
  for (const obj of input.objects.services) state.inventory.upsert(obj);
  for (const obj of input.objects.pods) state.inventory.upsert(obj);
  const selection = selectForReview(input.objects);
  const policy = auditPolicy(input.policy);
  const entries: AuditEntry[] = [];
  const clean: ResourceRef[] = [];
  for (const object of selection.review) {
    const result = input.reviewer.review({ operation: 'AUDIT', object }, state, policy);
    const resources = [refOf(object)];
    for (const finding of result.findings) entries.push({ finding, resources, exempted: false });
    for (const finding of result.exempted) entries.push({ finding, resources, exempted: true });
    if (result.findings.length === 0 && result.exempted.length === 0) clean.push(resources[0]!);
  }
  const nodes = { ranges: input.ranges, nodesComplete: input.nodesComplete };
  for (const finding of NODE_RULES.flatMap((rule) => rule.evaluate(nodes))) {
    entries.push({
      finding,
      resources: nodeResources(finding.nodes, input.rangesConfigMap),
      exempted: isExempt(input.policy, finding),
    });
  }
  entries.sort(compareEntries);
  return {
    entries,
    clean,
    reviewedCount: selection.review.length,
    coveredPods: selection.coveredPods,
    coveredWorkloads: selection.coveredWorkloads,
    state,
  };
}
