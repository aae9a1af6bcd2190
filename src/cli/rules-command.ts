/**
 * The `portguard rules` and `portguard explain RULE` actions: the rule catalog (rule-docs.ts)
 * as a table, JSON, or one rule's explanation. Pure formatters plus two small runners that
 * return the exit code; the flags are declared in commands/rules.ts.
 */
import type { RulesOutput } from './commands/rules.js';
import { ExitCode } from './exit-codes.js';
import { type RuleDoc, rangesYaml, ruleDocs } from './rule-docs.js';
import { suggest } from './suggest.js';

export interface RulesIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

const WIDTH = 100;

/** `RULE  SEVERITY  SUMMARY`, one rule a line, columns padded to the longest entry. */
export function formatRulesTable(docs: readonly RuleDoc[]): string {
  const rows = [['RULE', 'SEVERITY', 'SUMMARY'], ...docs.map((d) => [d.id, d.severity, d.summary])];
  const idWidth = Math.max(...rows.map((r) => r[0]!.length));
  const sevWidth = Math.max(...rows.map((r) => r[1]!.length));
  return `${rows.map(([id, sev, summary]) => `${id!.padEnd(idWidth)}  ${sev!.padEnd(sevWidth)}  ${summary}`).join('\n')}\n`;
}

export function formatRulesJson(docs: readonly RuleDoc[]): string {
  const rules = docs.map(({ id, severity, summary }) => ({ id, severity, summary }));
  return `${JSON.stringify({ rules }, null, 2)}\n`;
}

/** Words of `text` in lines of at most `width` columns (a longer word keeps its own line). */
export function wrap(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

const block = (text: string, indent: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => indent + l)
    .join('\n');

/** What `explain` prints: summary, what it checks, why it matters, the fix, an example. */
export function formatExplanation(doc: RuleDoc): string {
  const section = (title: string, text: string) => `${title}\n${wrap(text, WIDTH, '  ')}\n`;
  const out = [
    `${doc.id} (${doc.severity}; runs in ${doc.runsIn})\n${wrap(doc.summary, WIDTH)}\n`,
    section('What it checks', doc.checks),
    section('Why it matters', doc.why),
    section('How to fix it', doc.fix),
  ];
  const { ranges, manifest, note } = doc.example;
  const example: string[] = [];
  if (note) example.push(wrap(note, WIDTH, '  '));
  if (ranges) {
    const where = manifest ? 'ranges.yaml' : "ranges.yaml, or the cluster's ranges ConfigMap";
    example.push(`  node data (${where}):\n${block(rangesYaml(ranges), '    ')}`);
  }
  if (manifest) {
    example.push(`  manifest.yaml:\n${block(manifest, '    ')}`);
    if (doc.runsIn.includes('check')) {
      example.push(`  portguard check manifest.yaml${ranges ? ' --ranges ranges.yaml' : ''} reports it.`);
    }
  }
  out.push(`Example\n${example.join('\n\n')}\n`);
  out.push('More: docs/rules.md\n');
  return out.join('\n');
}

export function runRules(output: RulesOutput, io: RulesIO): ExitCode {
  const docs = ruleDocs();
  io.stdout(output === 'json' ? formatRulesJson(docs) : formatRulesTable(docs));
  return ExitCode.Ok;
}

export function runExplain(rule: string, io: RulesIO): ExitCode {
  const docs = ruleDocs();
  const doc = docs.find((d) => d.id === rule.trim().toLowerCase());
  if (doc) {
    io.stdout(formatExplanation(doc));
    return ExitCode.Ok;
  }
  const close = suggest(
    rule.trim(),
    docs.map((d) => d.id),
  );
  const hint = close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : '';
  io.stderr(`portguard explain: unknown rule "${rule}"${hint}; \`portguard rules\` lists them\n`);
  return ExitCode.BadInput;
}
