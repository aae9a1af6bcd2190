/**
 * The audit of a live cluster: read the ranges (the cluster's ConfigMap, or ranges the caller
 * proposes for what-if), list Nodes and workloads, and scan them with the policy core. Shared by
 * `portguard audit` (src/cli/run-audit.ts) and the server's periodic audit; it prints nothing.
 */

import type { ClusterRanges } from '../core/node-ranges.js';
import type { Policy } from '../core/policy.js';
import type { Reviewer } from '../core/review.js';
import type { KubeConfig } from '../kube/k8s.js';
import { listClusterObjects, listNodes, type ProgressFn, readRangesConfigMap } from './list-cluster.js';
import { completeRanges, rangesFromData } from './ranges-source.js';
import { type AuditResult, RANGES_CONFIGMAP, scanObjects } from './scan.js';

/** Everything a scan needs from the cluster; shared by the CLI and the periodic audit. */
export interface ClusterAuditInput {
  kc: KubeConfig;
  /** Proposed ranges (what-if); the cluster's ConfigMap when absent. */
  ranges?: ClusterRanges;
  policy: Policy;
  reviewer: Reviewer;
  progress?: ProgressFn;
  /** Told about kinds that could not be listed or Nodes that could not be read. */
  warn?: (message: string) => void;
}

/** A cluster without the ranges ConfigMap, and no `--ranges`: audit has nothing to judge against. */
export class MissingRangesError extends Error {}

/** Lists the cluster and scans it; throws ListError, RangesFileError or MissingRangesError. */
export async function auditCluster(input: ClusterAuditInput): Promise<AuditResult> {
  let ranges = input.ranges;
  if (!ranges) {
    const data = await readRangesConfigMap(input.kc);
    const source = `ConfigMap ${RANGES_CONFIGMAP.namespace}/${RANGES_CONFIGMAP.name}`;
    if (!data) throw new MissingRangesError(`${source} not found; deploy portguard or pass --ranges FILE`);
    ranges = rangesFromData(data, source);
  }
  const nodes = await listNodes(input.kc, input.progress);
  if (nodes) ranges = completeRanges(ranges, nodes);
  else
    input.warn?.(
      'cannot list nodes (forbidden); nodes without a ConfigMap entry are judged by the default profile',
    );
  const listed = await listClusterObjects(input.kc, input.progress);
  if (listed.skipped.length > 0) {
    input.warn?.(
      `cannot list ${listed.skipped.join(', ')} (forbidden or not served); those workloads are not audited`,
    );
  }
  return scanObjects({
    objects: listed.objects,
    ranges,
    nodesComplete: nodes !== undefined,
    policy: input.policy,
    reviewer: input.reviewer,
  });
}
