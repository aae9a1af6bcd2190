/**
 * The audit of a live cluster: read the node data (the cluster's ranges ConfigMap, report
 * objects and Nodes, or ranges the caller proposes for what-if), list workloads, and scan
 * them with the policy core. Shared by `portguard audit` (src/cli/run-audit.ts) and the
 * server's periodic audit; it prints nothing.
 */

import type { ClusterRanges } from '../core/node-ranges.js';
import type { Policy } from '../core/policy.js';
import { RangesFileError } from '../core/ranges-error.js';
import type { Reviewer } from '../core/review.js';
import type { KubeConfig } from '../kube/k8s.js';
import type { ProgressFn } from '../kube/paged-list.js';
import {
  configMapRef,
  formatRangesError,
  listNodes,
  type RangesLocation,
  readClusterRanges,
} from '../kube/read-cluster-ranges.js';
import { listClusterObjects } from './list-cluster.js';
import { completeRanges } from './ranges-source.js';
import { type AuditResult, scanObjects } from './scan.js';

/** Everything a scan needs from the cluster; shared by the CLI and the periodic audit. */
export interface ClusterAuditInput {
  kc: KubeConfig;
  /** The ranges ConfigMap; the nodes' report objects are read from its namespace. */
  location: RangesLocation;
  /** Proposed ranges (what-if); the cluster's node data when absent. */
  ranges?: ClusterRanges;
  policy: Policy;
  reviewer: Reviewer;
  progress?: ProgressFn;
  /** Told about kinds that could not be listed, Nodes that could not be read, and bad report objects. */
  warn?: (message: string) => void;
}

/** A cluster without the ranges ConfigMap, and no `--ranges`: audit has nothing to judge against. */
export class MissingRangesError extends Error {}

/**
 * The cluster's node data for audit, which must not guess: a missing ConfigMap or any bad
 * key in it is fatal. A bad report object is one node's measured data: it is reported
 * through `warn` and that node falls back to its ConfigMap entry or the default profile,
 * so one broken node does not stop the audit of the fleet.
 */
async function clusterRanges(
  input: ClusterAuditInput,
): Promise<{ ranges: ClusterRanges; nodesComplete: boolean }> {
  const { location } = input;
  const read = await readClusterRanges(input.kc, location, input.progress);
  const source = configMapRef(location.namespace, location.name);
  if (!read.configMapFound) {
    throw new MissingRangesError(
      `${source} not found; deploy portguard, name its ConfigMap with --namespace/--configmap, ` +
        'or pass --ranges FILE',
    );
  }
  const configMapErrors = read.errors.filter((e) => !e.report);
  if (configMapErrors.length > 0) throw new RangesFileError(source, configMapErrors);
  for (const e of read.errors) {
    input.warn?.(
      `${formatRangesError(e)}; that node is judged by its ConfigMap entry or the default profile`,
    );
  }
  for (const note of read.notes) input.warn?.(note);
  return { ranges: read.ranges, nodesComplete: read.nodesComplete };
}

/** What-if: the proposed ranges, holding exactly the live nodes when Nodes can be listed. */
async function proposedRanges(
  input: ClusterAuditInput,
  ranges: ClusterRanges,
): Promise<{ ranges: ClusterRanges; nodesComplete: boolean }> {
  const nodes = await listNodes(input.kc, input.progress);
  if (nodes) return { ranges: completeRanges(ranges, nodes), nodesComplete: true };
  input.warn?.(
    'cannot list nodes (forbidden); nodes without an entry in the ranges file are judged by the default profile',
  );
  return { ranges, nodesComplete: false };
}

/** Lists the cluster and scans it; throws ListError, RangesFileError or MissingRangesError. */
export async function auditCluster(input: ClusterAuditInput): Promise<AuditResult> {
  const { ranges, nodesComplete } = input.ranges
    ? await proposedRanges(input, input.ranges)
    : await clusterRanges(input);
  const listed = await listClusterObjects(input.kc, input.progress);
  if (listed.skipped.length > 0) {
    input.warn?.(
      `cannot list ${listed.skipped.join(', ')} (forbidden or not served); those workloads are not audited`,
    );
  }
  return scanObjects({
    objects: listed.objects,
    ranges,
    nodesComplete,
    policy: input.policy,
    reviewer: input.reviewer,
    rangesConfigMap: input.location,
  });
}
