/**
 * `portguard audit` without the flag parsing: load the ranges file and policy, the kubeconfig,
 * run the library's audit (src/audit/audit-cluster.ts), and print text, JSON or PolicyReports,
 * plus `--fix` commands. All I/O goes through `AuditIO`, so tests run it in-process. Audit
 * reports and never blocks: the exit code is 0 unless the input (ranges, policy, cluster
 * access) is unusable.
 */

import { auditCluster, MissingRangesError } from '../audit/audit-cluster.js';
import { planFixes, type ServiceFix } from '../audit/fix.js';
import { formatJson, formatPolicyReports, formatText } from '../audit/format.js';
import { buildPolicyReports } from '../audit/policy-report.js';
import { DEFAULT_POLICY, PolicyError } from '../core/policy.js';
import { RangesFileError } from '../core/ranges-error.js';
import { createReviewer, type Reviewer } from '../core/review.js';
import type { KubeConfig } from '../kube/k8s.js';
import { loadKubeConfig } from '../kube/load-kubeconfig.js';
import { ListError, type ProgressFn } from '../kube/paged-list.js';
import { DEFAULT_RANGES_LOCATION } from '../kube/read-cluster-ranges.js';
import { createScriptAnalyzer } from '../shell/index.js';
import { loadPolicyFile } from './check.js';
import type { AUDIT_OUTPUTS } from './commands/audit.js';
import { ExitCode } from './exit-codes.js';
import { loadRangesFile } from './ranges-file.js';

export type AuditOutput = (typeof AUDIT_OUTPUTS)[number];

export interface AuditOptions {
  /** Kubeconfig file; the default loading rules (KUBECONFIG, ~/.kube/config, in-cluster) when absent. */
  kubeconfig?: string;
  /** A context of the kubeconfig other than its current one. */
  context?: string;
  /** A ready KubeConfig (in-process use); wins over `kubeconfig` and `context`. */
  kc?: KubeConfig;
  /** Namespace of the ranges ConfigMap and the nodes' report objects (default portguard-system). */
  namespace?: string;
  /** Name of the ranges ConfigMap (default portguard-node-ranges). */
  configmap?: string;
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

/** Progress lines like `listed 1500 services...`, at most one per page. */
export function progressPrinter(write: (text: string) => void): ProgressFn {
  return (what, count) => write(`listed ${count} ${what}...\n`);
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
      kc = opts.kc ?? loadKubeConfig(opts.kubeconfig, opts.context);
    } catch (err) {
      return fail(`cannot load kubeconfig: ${(err as Error).message}`);
    }
    const reviewer = io.reviewer ?? createReviewer({ scripts: await createScriptAnalyzer() });
    const showProgress = opts.progress === true || io.stderrIsTTY === true;
    const audit = await auditCluster({
      kc,
      location: {
        namespace: opts.namespace ?? DEFAULT_RANGES_LOCATION.namespace,
        name: opts.configmap ?? DEFAULT_RANGES_LOCATION.name,
      },
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
