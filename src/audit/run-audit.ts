/**
 * `portguard audit` without the flag parsing: read ranges (cluster ConfigMap or a
 * proposed file for what-if), list the cluster, scan, and print text, JSON or
 * PolicyReports, plus `--fix` commands. All I/O goes through `AuditIO`, so tests and the
 * server's periodic audit run it in-process. Audit reports and never blocks: the exit
 * code is 0 unless the input (ranges, policy, cluster access) is unusable.
 */

import { loadPolicyFile } from '../cli/check.js';
import { ExitCode } from '../cli/exit-codes.js';
import { loadRangesFile, RangesFileError } from '../cli/ranges-file.js';
import type { ClusterRanges } from '../core/node-ranges.js';
import { DEFAULT_POLICY, type Policy, PolicyError } from '../core/policy.js';
import { createReviewer, type Reviewer } from '../core/review.js';
import { KubeConfig } from '../kube/k8s.js';
import { createScriptAnalyzer } from '../shell/index.js';
import { planFixes, type ServiceFix } from './fix.js';
import { formatJson, formatPolicyReports, formatText } from './format.js';
import {
  ListError,
  listClusterObjects,
  listNodes,
  type ProgressFn,
  readRangesConfigMap,
} from './list-cluster.js';
import { buildPolicyReports } from './policy-report.js';
import { completeRanges, rangesFromData } from './ranges-source.js';
import { type AuditResult, RANGES_CONFIGMAP, scanObjects } from './scan.js';

export const AUDIT_OUTPUTS = ['text', 'json', 'policyreport'] as const;
export type AuditOutput = (typeof AUDIT_OUTPUTS)[number];

export interface AuditOptions {
  /** Kubeconfig file; the default loading rules (KUBECONFIG, ~/.kube/config, in-cluster) when absent. */
  kubeconfig?: string;
  /** A ready KubeConfig (in-process use); wins over `kubeconfig`. */
  kc?: KubeConfig;
  /** Ranges file (ConfigMap or data map): what-if against proposed ranges instead of the cluster's. */
  ranges?: string;
  output: AuditOutput;
  fix?: boolean;
  /** Policy file (exemptions; the mode is always audit). */
  config?: string;
  /** Force progress lines on stderr even when it is not a TTY. */
  progress?: boolean;
}

export interface AuditIO {
  stdout(text: string): void;
  stderr(text: string): void;
  stderrIsTTY?: boolean;
  /** Clock for PolicyReport timestamps. */
  now?: () => Date;
  /** A ready reviewer, so repeated runs load the shell parser once. */
  reviewer?: Reviewer;
}

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

/** Progress lines like `listed 1500 services...`, at most one per page. */
export function progressPrinter(write: (text: string) => void): ProgressFn {
  return (what, count) => write(`listed ${count} ${what}...\n`);
}

function loadKubeConfig(opts: AuditOptions): KubeConfig {
  if (opts.kc) return opts.kc;
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

/** Runs the whole audit and returns the exit code; never throws for bad input. */
export async function runAudit(opts: AuditOptions, io: AuditIO): Promise<ExitCode> {
  const fail = (message: string) => {
    io.stderr(`portguard audit: ${message}\n`);
    return ExitCode.BadInput;
  };
  try {
    const ranges = opts.ranges ? await loadRangesFile(opts.ranges) : undefined;
    const policy = opts.config ? await loadPolicyFile(opts.config) : DEFAULT_POLICY;
    let kc: KubeConfig;
    try {
      kc = loadKubeConfig(opts);
    } catch (err) {
      return fail(`cannot load kubeconfig: ${(err as Error).message}`);
    }
    const reviewer = io.reviewer ?? createReviewer({ scripts: await createScriptAnalyzer() });
    const showProgress = opts.progress === true || io.stderrIsTTY === true;
    const audit = await auditCluster({
      kc,
      ...(ranges ? { ranges } : {}),
      policy,
      reviewer,
      ...(showProgress ? { progress: progressPrinter(io.stderr) } : {}),
      warn: (m) => io.stderr(`portguard audit: ${m}\n`),
    });
    const fixes: ServiceFix[] | undefined = opts.fix ? planFixes(audit.entries, audit.state) : undefined;
    if (opts.output === 'json') io.stdout(formatJson(audit, fixes));
    else if (opts.output === 'policyreport') {
      io.stdout(formatPolicyReports(buildPolicyReports(audit, { now: (io.now ?? (() => new Date()))() })));
      // Machine output stays alone on stdout; the commands go to stderr as comments.
      if (fixes) for (const f of fixes) io.stderr(`${f.command}\n`);
    } else io.stdout(formatText(audit, fixes));
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof RangesFileError || err instanceof PolicyError || err instanceof MissingRangesError) {
      return fail(err.message);
    }
    if (err instanceof ListError) return fail(`${err.message} (check --kubeconfig and RBAC)`);
    throw err;
  }
}
