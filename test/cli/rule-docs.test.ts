/**
 * The catalog behind `portguard rules` and `explain`: every rule id is explained, and every
 * example triggers its rule when run the way `explain` says (check with the printed ranges
 * file, or the audit's node findings).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCheck } from '../../src/cli/check.js';
import { rangesYaml, ruleDocs } from '../../src/cli/rule-docs.js';
import { formatExplanation, formatRulesTable, runExplain } from '../../src/cli/rules-command.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import type { RuleId } from '../../src/core/types.js';
import { RULE_METAS } from '../../src/rules/catalog.js';
import { NODE_RULES, RULES } from '../../src/rules/index.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../../src/shell/index.js';
import { mkTmp } from './run-cli.js';

const docs = ruleDocs();
const tmp = mkTmp('portguard-rule-docs-');
let scripts: ScriptAnalyzer;
beforeAll(async () => {
  scripts = await createScriptAnalyzer();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('rule docs', () => {
  it('explain every rule id: those the rules, SARIF and the webhook report', () => {
    const ids = docs.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    // RuleId is a type; the catalog is a Record<RuleId, ...>, so the compiler holds it to the
    // union. These are the runtime lists that must be inside it.
    const reported: RuleId[] = [
      ...RULES.map((r) => r.meta.id),
      ...NODE_RULES.map((r) => r.meta.id),
      ...RULE_METAS.filter((m) => m.help).map((m) => m.id),
      'namespace-mode-label',
    ];
    expect(reported.filter((id) => !ids.includes(id))).toEqual([]);
    for (const d of docs) {
      for (const text of [d.summary, d.checks, d.why, d.fix, d.runsIn])
        expect(text.trim(), d.id).not.toBe('');
      expect(['deny', 'warn', 'info']).toContain(d.severity);
      const { ranges, manifest, note } = d.example;
      expect(ranges ?? manifest ?? note, d.id).toBeDefined();
      if (manifest) expect(parse(manifest.split('\n---\n')[0]!), d.id).toHaveProperty('kind');
    }
  });

  it('take id, severity and summary from the rule metadata, in its order', () => {
    expect(docs.map(({ id, severity, summary }) => ({ id, severity, summary }))).toEqual(
      RULE_METAS.map(({ id, severity, summary }) => ({ id, severity, summary })),
    );
  });

  it.each(
    docs.filter((d) => d.example.manifest && d.runsIn.includes('check')).map((d) => [d.id, d] as const),
  )('%s: check reports the example', async (id, doc) => {
    const dir = join(tmp, id);
    mkdirSync(dir);
    writeFileSync(join(dir, 'manifest.yaml'), doc.example.manifest!);
    if (doc.example.ranges) writeFileSync(join(dir, 'ranges.yaml'), rangesYaml(doc.example.ranges));
    let out = '';
    await runCheck(
      { paths: ['manifest.yaml'], output: 'json', ...(doc.example.ranges ? { ranges: 'ranges.yaml' } : {}) },
      { stdout: (s) => (out += s), stderr: () => {}, cwd: dir, scripts },
    );
    const findings = JSON.parse(out).findings as { rule: string; severity: string }[];
    expect(findings.map((f) => f.rule)).toContain(id);
    expect(findings.find((f) => f.rule === id)?.severity).toBe(doc.severity);
  });

  it.each(NODE_RULES.map((r) => [r.meta.id, r] as const))(
    '%s: the audit reports the example node',
    (id, rule) => {
      const doc = docs.find((d) => d.id === id)!;
      const data = parse(rangesYaml(doc.example.ranges!)).data as Record<string, string>;
      const ranges = parseNodeRanges(data, 'example').ranges;
      expect(rule.evaluate({ ranges, nodesComplete: true }).flatMap((f) => f.nodes)).toContain('worker-1');
    },
  );
});

describe('rules and explain output', () => {
  it('lists one rule a line under a header, columns aligned', () => {
    const lines = formatRulesTable(docs).trimEnd().split('\n');
    expect(lines).toHaveLength(docs.length + 1);
    expect(lines[0]).toMatch(/^RULE +SEVERITY +SUMMARY$/);
    const col = lines[0]!.indexOf('SEVERITY');
    for (const [i, d] of docs.entries())
      expect(lines[i + 1]!.slice(col)).toMatch(new RegExp(`^${d.severity} +\\S`));
  });

  it('explains a rule in four sections and an example', () => {
    const text = formatExplanation(docs.find((d) => d.id === 'nodeport-in-ephemeral-range')!);
    expect(text).toMatch(/^nodeport-in-ephemeral-range \(deny; runs in webhook, check, audit\)\n/);
    for (const heading of ['What it checks', 'Why it matters', 'How to fix it', 'Example']) {
      expect(text).toContain(`\n${heading}\n  `);
    }
    expect(text).toContain('portguard check manifest.yaml --ranges ranges.yaml reports it.');
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(110);
  });

  it.each([
    ['nodeport-in-ephemral-range', /did you mean nodeport-in-ephemeral-range\?/],
    ['hostport', /did you mean nodeport-hostport-collision\?/],
    ['NODEPORT-HOSTPORT-COLLISION ', null],
    ['zzz', /unknown rule "zzz"; `portguard rules` lists them/],
  ])('explain %j', (rule, error) => {
    let out = '';
    let err = '';
    const code = runExplain(rule, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
    if (error === null) {
      expect(code).toBe(0);
      expect(out).toMatch(/^nodeport-hostport-collision /);
    } else {
      expect(code).toBe(2);
      expect(err).toMatch(error);
      expect(out).toBe('');
    }
  });
});
