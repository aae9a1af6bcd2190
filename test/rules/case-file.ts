/**
 * Declarative rule cases (`test/cases/<rule-id>/*.yaml`), shared by the core runner
 * (cases.test.ts) and the CLI runner (test/cli/cases-cli.test.ts), so `review()` and
 * `portguard check` are held to the same expectations.
 *
 * The expected findings are the exact multiset of findings for the rules the case is
 * about: the directory's rule plus any rule named in `expect.findings`. Findings of
 * other rules are ignored, so a case stays focused on its rule. An expected finding may
 * also pin `unknown` and `preexisting`; only the core runner checks those (`flagsOf`).
 *
 * A node rule's case (`test/cases/node-*`) has no object: it gives `ranges` and
 * `nodesComplete` (whether every node is known, as with audit's Node list) and expects the
 * findings the node rules give on that data, with no `allowed` (node findings decide no
 * admission). Only the core runner reads them (`loadAllNodeCases`); `check` has no node rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Operation, Severity } from '../../src/core/types.js';

export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'cases');

export interface ExpectedFinding {
  rule: string;
  severity: Severity;
  path: string;
  nodes?: string[];
  /** Pinned by the core runner only (`check --output json` does not carry these flags). */
  unknown?: boolean;
  preexisting?: boolean;
}

export interface RuleCase {
  /** `<rule-id>/<file>`, for test titles. */
  id: string;
  file: string;
  rule: string;
  name: string;
  ranges: Record<string, string>;
  inventory: Record<string, unknown>[];
  object: Record<string, unknown>;
  operation: Operation;
  oldObject?: Record<string, unknown>;
  dryRun: boolean;
  expect: { allowed: boolean; findings: ExpectedFinding[] };
}

export interface NodeRuleCase {
  /** `<rule-id>/<file>`, for test titles. */
  id: string;
  file: string;
  rule: string;
  name: string;
  ranges: Record<string, string>;
  nodesComplete: boolean;
  expect: { findings: ExpectedFinding[] };
}

function fail(file: string, msg: string): never {
  throw new Error(`${file}: ${msg}`);
}

function readCase(file: string): Record<string, unknown> & { name: string } {
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (typeof raw?.name !== 'string') fail(file, 'missing name');
  return raw as Record<string, unknown> & { name: string };
}

/** A node rule's case: no object, and `nodesComplete` says whether every node is known. */
function isNodeCase(raw: Record<string, unknown>): boolean {
  return raw.object === undefined && 'nodesComplete' in raw;
}

export function loadNodeCase(file: string): NodeRuleCase {
  const raw = readCase(file);
  if (typeof raw.nodesComplete !== 'boolean') fail(file, 'nodesComplete must be true or false');
  const expect = raw.expect as { findings?: unknown } | undefined;
  if (!Array.isArray(expect?.findings)) fail(file, 'expect needs findings (list)');
  return {
    id: relative(CASES_DIR, file),
    file,
    rule: basename(dirname(file)),
    name: raw.name,
    ranges: (raw.ranges as Record<string, string>) ?? {},
    nodesComplete: raw.nodesComplete,
    expect: { findings: expect.findings as ExpectedFinding[] },
  };
}

export function loadCase(file: string): RuleCase {
  const raw = readCase(file);
  const rule = basename(dirname(file));
  if (typeof raw.object !== 'object' || raw.object === null) fail(file, 'missing object');
  const expect = raw.expect as { allowed?: unknown; findings?: unknown } | undefined;
  if (typeof expect?.allowed !== 'boolean' || !Array.isArray(expect.findings)) {
    fail(file, 'expect needs allowed (boolean) and findings (list)');
  }
  return {
    id: relative(CASES_DIR, file),
    file,
    rule,
    name: raw.name,
    ranges: (raw.ranges as Record<string, string>) ?? {},
    inventory: (raw.inventory as Record<string, unknown>[]) ?? [],
    object: raw.object as Record<string, unknown>,
    operation: (raw.operation as Operation) ?? 'CHECK',
    ...(raw.oldObject ? { oldObject: raw.oldObject as Record<string, unknown> } : {}),
    dryRun: raw.dryRun === true,
    expect: { allowed: expect.allowed, findings: expect.findings as ExpectedFinding[] },
  };
}

function caseFiles(): string[] {
  return readdirSync(CASES_DIR)
    .sort()
    .flatMap((dir) =>
      readdirSync(join(CASES_DIR, dir))
        .sort()
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(CASES_DIR, dir, f)),
    );
}

/** Every object rule's case. */
export function loadAllCases(): RuleCase[] {
  return caseFiles().flatMap((file) => (isNodeCase(readCase(file)) ? [] : [loadCase(file)]));
}

/** Every node rule's case. */
export function loadAllNodeCases(): NodeRuleCase[] {
  return caseFiles().flatMap((file) => (isNodeCase(readCase(file)) ? [loadNodeCase(file)] : []));
}

/** What the comparison reads of a case, object or node. */
type PinnedCase = Pick<RuleCase, 'rule'> & { expect: { findings: ExpectedFinding[] } };

/** The rules whose findings a case pins down exactly. */
export function rulesOf(c: PinnedCase): Set<string> {
  return new Set([c.rule, ...c.expect.findings.map((f) => f.rule)]);
}

/**
 * Projects actual findings onto the fields a case pins (nodes only when the expected
 * entry gives them) and sorts both sides, so the comparison is a multiset equality.
 */
export function comparable(
  c: PinnedCase,
  actual: { rule: string; severity: Severity; path: string; nodes: string[] }[],
): { actual: ExpectedFinding[]; expected: ExpectedFinding[] } {
  const rules = rulesOf(c);
  const withNodes = c.expect.findings.length > 0 && c.expect.findings.every((f) => f.nodes !== undefined);
  const norm = (f: ExpectedFinding): ExpectedFinding => ({
    rule: f.rule,
    severity: f.severity,
    path: f.path,
    ...(withNodes && f.nodes ? { nodes: [...f.nodes].sort() } : {}),
  });
  const key = (f: ExpectedFinding) => JSON.stringify(f);
  const sort = (list: ExpectedFinding[]) => list.sort((a, b) => key(a).localeCompare(key(b)));
  return {
    actual: sort(actual.filter((f) => rules.has(f.rule)).map(norm)),
    expected: sort(c.expect.findings.map(norm)),
  };
}

type Flag = 'unknown' | 'preexisting';

/**
 * Where the actual findings disagree with the `unknown` and `preexisting` flags an expected
 * finding pins (compared on every actual finding with the same rule, severity and path);
 * empty when they agree.
 */
export function flagMismatches(
  c: PinnedCase,
  actual: { rule: string; severity: Severity; path: string; unknown?: boolean; preexisting?: boolean }[],
): string[] {
  const out: string[] = [];
  for (const e of c.expect.findings) {
    for (const flag of ['unknown', 'preexisting'] as const satisfies readonly Flag[]) {
      const want = e[flag];
      if (want === undefined) continue;
      for (const a of actual) {
        if (a.rule !== e.rule || a.severity !== e.severity || a.path !== e.path) continue;
        if ((a[flag] === true) !== want)
          out.push(`${e.rule} ${e.severity} ${e.path}: ${flag} is not ${want}`);
      }
    }
  }
  return out;
}
