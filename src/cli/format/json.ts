/**
 * `--output json`: the stable machine format. Field order and names are a contract for
 * scripts (`jq '.findings[] | select(.severity=="deny")'`), so findings are projected
 * onto exactly these keys (the finding's own through `findingJson`, shared with `audit`,
 * then where it is in the manifests) rather than dumping internal fields.
 */
import { findingJson } from '../../core/finding-json.js';
import type { CheckReport } from './report.js';

export function formatJson(report: CheckReport): string {
  const findings = report.findings.map((f) => ({
    ...findingJson(f),
    file: f.file,
    line: f.line,
    ...(f.column !== undefined ? { column: f.column } : {}),
  }));
  // Each error's keys in a fixed order; `file`, `line` and `column` only when known.
  const errors = report.errors.map((e) => ({
    ...(e.file !== undefined ? { file: e.file } : {}),
    ...(e.line !== undefined ? { line: e.line } : {}),
    ...(e.column !== undefined ? { column: e.column } : {}),
    message: e.message,
  }));
  const out = { findings, errors, summary: { mode: report.mode, ...report.summary } };
  return `${JSON.stringify(out, null, 2)}\n`;
}
