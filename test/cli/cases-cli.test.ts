/**
 * Runs the declarative rule cases through `./bin/portguard check --output json`, so the
 * CLI and the core (test/rules/cases.test.ts) never disagree. `check` only knows the
 * CHECK operation, so cases about UPDATE or dry run stay with the core runner.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { comparable, loadAllCases, type RuleCase } from '../rules/case-file.js';
import { type CliResult, ensureBuilt, mkTmp, runCli } from './run-cli.js';

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

/** Writes one case as a little repo (ranges, object, inventory) and runs check on it. */
async function runCase(c: RuleCase): Promise<CliResult> {
  const dir = caseDir(c);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ranges.yaml'), stringify({ apiVersion: 'v1', kind: 'ConfigMap', data: c.ranges }));
  // The reviewed object goes in its own file and the inventory in another, as in a repo.
  writeFileSync(join(dir, 'object.yaml'), stringify(c.object));
  const args = ['check', 'object.yaml', '--ranges', 'ranges.yaml', '--output', 'json'];
  if (c.inventory.length > 0) {
    writeFileSync(join(dir, 'inventory.yaml'), c.inventory.map((o) => stringify(o)).join('---\n'));
    args.splice(1, 0, 'inventory.yaml');
  }
  return runCli(args, { cwd: dir });
}

const results = new Map<string, CliResult>();

beforeAll(async () => {
  await ensureBuilt();
  tmp = mkTmp('pg-cases-');
  // One process per case, a few at a time: enough to keep cores busy on a shared CI box.
  const queue = [...cases];
  const workers = Math.max(2, Math.min(8, Math.floor(availableParallelism() / 2)));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) results.set(c.id, await runCase(c));
    }),
  );
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('rule cases through portguard check', () => {
  it('runs most cases (only UPDATE and dry-run cases are core-only)', () => {
    expect(cases.length).toBeGreaterThan(60);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (id, c) => {
    const res = results.get(id)!;
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
