/**
 * Pure formatters from an audit result to the text the CLI prints: `text` for people,
 * `json` for scripts, `policyreport` as a YAML multi-document stream for kubectl.
 */
import { stringify } from 'yaml';
import { findingJson } from '../core/finding-json.js';
import type { ServiceFix } from './fix.js';
import type { PolicyReportObject } from './policy-report.js';
import type { AuditResult } from './scan.js';

export interface AuditSummary {
  reviewed: number;
  coveredPods: number;
  coveredWorkloads: number;
  deny: number;
  warn: number;
  info: number;
  exempted: number;
}

export function summarize(audit: AuditResult): AuditSummary {
  const s: AuditSummary = {
    reviewed: audit.reviewedCount,
    coveredPods: audit.coveredPods,
    coveredWorkloads: audit.coveredWorkloads,
    deny: 0,
    warn: 0,
    info: 0,
    exempted: 0,
  };
  for (const e of audit.entries) {
    if (e.exempted) s.exempted++;
    else s[e.finding.severity]++;
  }
  return s;
}

/** Findings grouped by object, then the fix commands if any. */
export function formatText(audit: AuditResult, fixes?: ServiceFix[]): string {
  const lines: string[] = [];
  let current = '';
  for (const { finding: f, exempted } of audit.entries) {
    const title = f.kind === 'Node' ? `Node ${f.name}` : `${f.kind} ${f.namespace}/${f.name}`;
    if (title !== current) {
      if (current !== '') lines.push('');
      lines.push(title);
      current = title;
    }
    const sev = exempted ? 'exempt' : f.severity;
    lines.push(`  ${sev.padEnd(6)} ${f.rule} ${f.path}`, `         ${f.message}`);
  }
  const s = summarize(audit);
  if (lines.length > 0) lines.push('');
  lines.push(
    `audit: ${s.reviewed} object(s) reviewed (${s.coveredPods} pod(s) reported on their workload), ` +
      `${s.deny} deny, ${s.warn} warn, ${s.info} info, ${s.exempted} exempted`,
  );
  if (fixes) {
    lines.push('');
    if (fixes.length === 0) lines.push('# no Service needs to move');
    else {
      lines.push(`# move ${fixes.length} Service(s) to safe free nodePorts:`);
      for (const fix of fixes) lines.push(fix.command);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `{findings, summary, fixes?}`; every finding carries its resources (with uid). */
export function formatJson(audit: AuditResult, fixes?: ServiceFix[]): string {
  const findings = audit.entries.map(({ finding: f, resources, exempted }) => ({
    ...findingJson(f),
    exempted,
    resources,
  }));
  const out: Record<string, unknown> = { findings, summary: summarize(audit) };
  if (fixes) out['fixes'] = fixes;
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** A YAML multi-document stream that `kubectl apply -f -` accepts. */
export function formatPolicyReports(reports: PolicyReportObject[]): string {
  return reports.map((r) => `---\n${stringify(r, { lineWidth: 0 })}`).join('');
}
