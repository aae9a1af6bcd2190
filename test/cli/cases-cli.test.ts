/**
 * Runs the declarative rule cases through `portguard check --output json`, so the CLI and
 * the core (test/rules/cases.test.ts) never disagree. `check` only knows the CHECK
 * operation, so cases about UPDATE or dry run stay with the core runner.
 *
 * Each case runs through runCheck in this process (what the command's action calls); an
 * allowed and a denied case also run through ./bin/portguard, whose stdout and exit code
 * must be the same, so the in-process runs stand for the binary.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { comparable, loadAllCases, type RuleCase } from '../rules/case-file.js';
import { type CheckRun, checkInProcess } from './check-in-process.js';
import { ensureBuilt, mkTmp, runCli } from './run-cli.js';

const cases = loadAllCases().filter((c) => c.operation === 'CHECK' && !c.dryRun);
let tmp: string;

interface JsonFinding {
  rule: string;
  severity: 'deny' | 'warn' | 'info';
  kind: string;
  namespace: string;
  name: string;
  path: string;
  nodes: string[];
  file: string;
  line: number;
}

const caseDir = (c: RuleCase) => join(tmp, c.id.replace(/[/.]/g, '_'));

/** Writes one case as a little repo (ranges, object, inventory); returns the check arguments. */
function writeCase(c: RuleCase): string[] {
  const dir = caseDir(c);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ranges.yaml'), stringify({ apiVersion: 'v1', kind: 'ConfigMap', data: c.ranges }));
  // The reviewed object goes in its own file and the inventory in another, as in a repo.
  writeFileSync(join(dir, 'object.yaml'), stringify(c.object));
  if (c.inventory.length === 0) return ['object.yaml'];
  writeFileSync(join(dir, 'inventory.yaml'), c.inventory.map((o) => stringify(o)).join('---\n'));
  return ['inventory.yaml', 'object.yaml'];
}

const runCase = (c: RuleCase): Promise<CheckRun> =>
  checkInProcess({ paths: writeCase(c), ranges: 'ranges.yaml', output: 'json' }, { cwd: caseDir(c) });

beforeAll(() => {
  tmp = mkTmp('pg-cases-');
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('rule cases through portguard check', () => {
  it('runs most cases (only UPDATE and dry-run cases are core-only)', () => {
    expect(cases.length).toBeGreaterThan(60);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const res = await runCase(c);
    expect(res.code, res.stderr).not.toBe(2);
    const report = JSON.parse(res.stdout) as { findings: JsonFinding[] };
    const own = report.findings.filter((f) => f.file === 'object.yaml');
    // Each finding is on the line of the key its path ends in (a script finding may be on a
    // line of the script instead).
    const lines = readFileSync(join(caseDir(c), 'object.yaml'), 'utf8').split('\n');
    for (const f of own) {
      const key = /(?:^|\.)([^.[\]]+)$/.exec(f.path)?.[1];
      if (!key || key === 'command' || key === 'args') continue;
      expect(lines[f.line - 1], `${f.path} at line ${f.line}`).toContain(`${key}:`);
    }
    const { actual, expected } = comparable(c, own);
    expect(actual, c.name).toEqual(expected);
    expect(res.code, 'exit code').toBe(report.findings.some((f) => f.severity === 'deny') ? 1 : 0);
    expect(
      own.some((f) => f.severity === 'deny'),
      c.name,
    ).toBe(!c.expect.allowed);
  });
});

describe('the binary agrees with the in-process runs', () => {
  const allowed = cases.find((c) => c.expect.allowed)!;
  const denied = cases.find((c) => !c.expect.allowed)!;

  it.each([
    ['an allowed case, exit 0', allowed, 0],
    ['a denied case, exit 1', denied, 1],
  ])('%s: same stdout and exit code, nothing on stderr', async (_n, c, code) => {
    await ensureBuilt();
    const inProcess = await runCase(c);
    const args = ['check', ...writeCase(c), '--ranges', 'ranges.yaml', '--output', 'json'];
    const binary = await runCli(args, { cwd: caseDir(c) });
    expect(binary.code, binary.stderr).toBe(code);
    expect(inProcess.code).toBe(code);
    expect(binary.stdout).toBe(inProcess.stdout);
    expect(binary.stderr).toBe(inProcess.stderr);
  });
});
