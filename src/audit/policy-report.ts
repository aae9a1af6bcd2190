/**
 * Builds `wgpolicyk8s.io/v1alpha2` PolicyReports from an audit, so results show up in
 * the tools platform teams already use (Policy Reporter, Kyverno UIs). One PolicyReport
 * per namespace and one ClusterPolicyReport for node findings. Pure: the clock is an
 * argument and the output is plain objects.
 */
import type { Severity } from '../core/types.js';
import type { AuditResult, ResourceRef } from './scan.js';

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
export const REPORT_NAME = 'portguard';
export const POLICY_NAME = 'portguard';
/** Rule name of the `pass` result recorded for an object with no finding. */
export const PASS_RULE = 'all-rules';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Set on a report that had to leave results out; the value is how many. */
export const TRUNCATED_ANNOTATION = 'portguard.io/results-omitted';

export type ReportResultKind = 'pass' | 'fail' | 'warn' | 'error' | 'skip';
export type ReportSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface ReportResult {
  policy: string;
  rule: string;
  result: ReportResultKind;
  severity?: ReportSeverity;
  message: string;
  resources: ResourceRef[];
  source: string;
  scored: boolean;
  timestamp: { seconds: number; nanos: number };
  properties?: Record<string, string>;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReportObject {
  apiVersion: typeof POLICY_REPORT_API_VERSION;
  kind: 'PolicyReport' | 'ClusterPolicyReport';
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  results: ReportResult[];
  summary: ReportSummary;
}

/** Severity → (result, severity). `internal-error` findings are `error`: the object was not fully checked. */
export function mapSeverity(severity: Severity): { result: ReportResultKind; severity: ReportSeverity } {
  switch (severity) {
    case 'deny':
      return { result: 'fail', severity: 'high' };
    case 'warn':
      return { result: 'warn', severity: 'medium' };
    default:
      return { result: 'warn', severity: 'low' };
  }
}

export interface ReportOptions {
  now: Date;
  /** Record a `pass` result per clean object (default true). */
  includePass?: boolean;
  /**
   * Reports are single etcd objects (about 1.5 MiB at most): past this many results a
   * report drops its `pass` results first, and the summary counts what it keeps.
   */
  maxResults?: number;
}

export const DEFAULT_MAX_RESULTS = 2000;

function emptySummary(): ReportSummary {
  return { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
}

/** Builds every report, namespaces in order, the ClusterPolicyReport last (always present). */
export function buildPolicyReports(audit: AuditResult, opts: ReportOptions): PolicyReportObject[] {
  const ms = opts.now.getTime();
  const timestamp = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
  const base = { policy: POLICY_NAME, source: 'portguard', scored: true, timestamp };
  const byNamespace = new Map<string, ReportResult[]>();
  const add = (namespace: string, r: ReportResult) => {
    const list = byNamespace.get(namespace);
    if (list) list.push(r);
    else byNamespace.set(namespace, [r]);
  };
  for (const { finding: f, resources, exempted } of audit.entries) {
    const mapped =
      f.rule === 'internal-error'
        ? { result: 'error' as const, severity: 'high' as const }
        : mapSeverity(f.severity);
    const properties: Record<string, string> = { path: f.path };
    if (f.nodeCount > 0) properties['nodeCount'] = String(f.nodeCount);
    if (f.ports?.length) properties['ports'] = f.ports.join(',');
    add(f.kind === 'Node' ? '' : f.namespace, {
      ...base,
      rule: f.rule,
      result: exempted ? 'skip' : mapped.result,
      severity: mapped.severity,
      message: exempted ? `exempted by the portguard policy: ${f.message}` : f.message,
      resources,
      properties,
    });
  }
  if (opts.includePass !== false) {
    for (const ref of audit.clean) {
      add(ref.namespace ?? '', {
        ...base,
        rule: PASS_RULE,
        result: 'pass',
        message: 'no portguard findings',
        resources: [ref],
      });
    }
  }
  const max = opts.maxResults ?? DEFAULT_MAX_RESULTS;
  const labels = { [MANAGED_BY_LABEL]: 'portguard' };
  const reports: PolicyReportObject[] = [];
  const namespaces = [...byNamespace.keys()].filter((n) => n !== '').sort();
  for (const ns of [...namespaces, '']) {
    const all = byNamespace.get(ns) ?? [];
    let results = all;
    if (results.length > max) results = results.filter((r) => r.result !== 'pass').slice(0, max);
    const meta = (namespace?: string) => ({
      name: REPORT_NAME,
      ...(namespace ? { namespace } : {}),
      labels,
      ...(results.length < all.length
        ? { annotations: { [TRUNCATED_ANNOTATION]: String(all.length - results.length) } }
        : {}),
    });
    const summary = emptySummary();
    for (const r of results) summary[r.result]++;
    reports.push(
      ns === ''
        ? {
            apiVersion: POLICY_REPORT_API_VERSION,
            kind: 'ClusterPolicyReport',
            metadata: meta(),
            results,
            summary,
          }
        : {
            apiVersion: POLICY_REPORT_API_VERSION,
            kind: 'PolicyReport',
            metadata: meta(ns),
            results,
            summary,
          },
    );
  }
  return reports;
}
