/**
 * The rules table in docs/rules.md is generated from the rules' metadata: this test renders it
 * and fails on any difference, printing the table to paste between the markers, so the docs
 * cannot drift from the ids, severities and summaries the CLI and SARIF print.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_METAS } from '../../src/rules/catalog.js';
import type { RuleMeta } from '../../src/rules/rule-meta.js';

const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'rules.md'), 'utf8');
const START = /<!-- rules-table:[^\n]*-->\n/;
const END = '<!-- /rules-table -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

function rulesTable(metas: readonly RuleMeta[]): string {
  const rows = metas.map((m) => `| \`${m.id}\` | ${m.severity} | ${cell(m.summary)} |`);
  return ['| id | severity | summary |', '| --- | --- | --- |', ...rows, ''].join('\n');
}

function tableInDoc(): string {
  const start = START.exec(DOC);
  const end = DOC.indexOf(END);
  if (!start || end < start.index) throw new Error('docs/rules.md has no rules-table markers');
  return DOC.slice(start.index + start[0].length, end);
}

describe('docs/rules.md', () => {
  it('has the rules table the metadata gives (id, severity, summary)', () => {
    expect(tableInDoc()).toBe(rulesTable(RULE_METAS));
  });

  it('has a section per rule, in the same order', () => {
    const sections = [...DOC.matchAll(/^### `([a-z-]+)`$/gm)].map((m) => m[1]);
    expect(sections).toEqual(RULE_METAS.map((m) => m.id));
  });
});
