/**
 * The data `check` hands to its formatters. Formatters are pure functions from this
 * report to a string, so each output format is tested without running the CLI.
 */
import type { Finding, Mode, Severity } from '../../core/types.js';

/** A finding with the manifest location it came from. */
export interface ReportedFinding extends Finding {
  file: string;
  line: number;
}

/** One reviewed object (kinds portguard checks), with its findings in rule order. */
export interface CheckedObject {
  file: string;
  line: number;
  kind: string;
  namespace: string;
  name: string;
  findings: ReportedFinding[];
}

export interface CheckSummary {
  /** Objects loaded (every document with a kind, List items expanded). */
  objects: number;
  /** Objects of a kind portguard checks (Services, Pods, workloads). */
  checked: number;
  findings: number;
  deny: number;
  warn: number;
  info: number;
  /** Findings removed by exemptions in the policy file. */
  exempted: number;
  /** True when some finding blocks: the exit code is 1. */
  denied: boolean;
}

export interface CheckReport {
  mode: Mode;
  /** Every file read, in order, including ones without findings (JUnit lists them). */
  files: string[];
  objects: CheckedObject[];
  findings: ReportedFinding[];
  summary: CheckSummary;
}

export const SEVERITIES: readonly Severity[] = ['deny', 'warn', 'info'];

/** `ns/name`, or just `name` for cluster-scoped or namespace-less manifests. */
export function qualifiedName(o: { namespace: string; name: string }): string {
  return o.namespace ? `${o.namespace}/${o.name}` : o.name;
}
