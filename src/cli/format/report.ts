/**
 * The data `check` hands to its formatters. Formatters are pure functions from this
 * report to a string, so each output format is tested without running the CLI.
 */
import type { Finding, Mode, Severity } from '../../core/types.js';

/** A finding with the manifest location it came from. */
export interface ReportedFinding extends Finding {
  file: string;
  /** 1-based line of the key the finding's path names (else of its object). */
  line: number;
  /** 1-based column of that key, in UTF-16 code units, when known. */
  column?: number;
}

/**
 * Input that could not be used: a manifest file (unreadable, invalid YAML, too large), the
 * ranges or policy file, or the cluster's node data. Each is reported inside the output,
 * whatever its format, and the run exits 2.
 */
export interface InputError {
  /** The file as shown elsewhere in the report; absent for the cluster. */
  file?: string;
  line?: number;
  column?: number;
  /** What is wrong, without the file and line. */
  message: string;
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
  /** True when some finding blocks: the exit code is 1 (2 when there are input errors). */
  denied: boolean;
  /** Input errors (files that could not be read, a bad ranges or policy file); exit code 2. */
  errors: number;
}

export interface CheckReport {
  mode: Mode;
  /** Every file read, in order, including ones without findings (JUnit lists them). */
  files: string[];
  objects: CheckedObject[];
  findings: ReportedFinding[];
  errors: InputError[];
  summary: CheckSummary;
}

/** `file:line:column`, as far as known. */
export function where(at: { file?: string; line?: number; column?: number }): string {
  const parts = [at.file, at.line, at.line !== undefined ? at.column : undefined];
  return parts.filter((p) => p !== undefined && p !== '').join(':');
}

export const SEVERITIES: readonly Severity[] = ['deny', 'warn', 'info'];

/** `ns/name`, or just `name` for cluster-scoped or namespace-less manifests. */
export function qualifiedName(o: { namespace: string; name: string }): string {
  return o.namespace ? `${o.namespace}/${o.name}` : o.name;
}
