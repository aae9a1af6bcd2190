/**
 * `check --fail-on`: which findings fail the run (exit 1). `deny`, the default, fails on what
 * the mode denies, as the webhook would refuse it; `warn` also fails on warnings (unknown
 * script writes included) and on deny findings that `--mode warn` lets through. Info never fails.
 */
import type { CheckReport } from './format/report.js';

export const FAIL_ON_LEVELS = ['deny', 'warn'] as const;
export type FailOn = (typeof FAIL_ON_LEVELS)[number];

/** True when the report's findings fail the run at `failOn`. */
export function failsAt(summary: CheckReport['summary'], failOn: FailOn): boolean {
  if (summary.denied) return true;
  return failOn === 'warn' && summary.deny + summary.warn > 0;
}

/**
 * The report with `summary.denied` as the run's verdict, so every output format says what the
 * exit code says (the text summary ends in "denied", JSON has `"denied": true`).
 */
export function withVerdict(report: CheckReport, failOn: FailOn): CheckReport {
  const denied = failsAt(report.summary, failOn);
  return denied === report.summary.denied ? report : { ...report, summary: { ...report.summary, denied } };
}
