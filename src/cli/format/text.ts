/**
 * `--output text`: for people reading CI logs. Findings are grouped under the object
 * they belong to (`file:line Kind ns/name`) and the summary comes last, where a
 * scrolling log ends.
 */
import type { Severity } from '../../core/types.js';
import { type CheckReport, qualifiedName, where } from './report.js';

const ANSI = { red: '31', yellow: '33', cyan: '36', bold: '1', dim: '2', green: '32' } as const;
type Style = keyof typeof ANSI;

const SEVERITY_STYLE: Record<Severity, Style> = { deny: 'red', warn: 'yellow', info: 'cyan' };

export function formatText(report: CheckReport, color: boolean): string {
  const paint = (style: Style, s: string) => (color ? `\u001b[${ANSI[style]}m${s}\u001b[0m` : s);
  const lines: string[] = [];
  for (const obj of report.objects) {
    if (obj.findings.length === 0) continue;
    lines.push(paint('bold', `${obj.file}:${obj.line} ${obj.kind} ${qualifiedName(obj)}`));
    for (const f of obj.findings) {
      const sev = paint(SEVERITY_STYLE[f.severity], f.severity.padEnd(4));
      lines.push(`  ${sev} ${f.rule}${f.path ? paint('dim', ` at ${f.path}`) : ''} (${where(f)})`);
      lines.push(`       ${f.message}`);
      if (f.nodeCount > 0) {
        const more = f.nodeCount > f.nodes.length ? ` (+${f.nodeCount - f.nodes.length} more)` : '';
        lines.push(
          paint(
            'dim',
            `       nodes: ${f.nodes.map((n) => (n === '*' ? '* (nodes on the default profile)' : n)).join(', ')}${more}`,
          ),
        );
      }
    }
    lines.push('');
  }
  for (const e of report.errors) {
    const at = where(e);
    lines.push(`${paint('red', 'error')} ${at ? `${at}: ` : ''}${e.message}`);
  }
  if (report.errors.length > 0) lines.push('');
  const s = report.summary;
  const verdict = s.errors
    ? paint('red', `${s.errors} input error(s)`)
    : s.denied
      ? paint('red', 'denied')
      : s.deny > 0
        ? paint('yellow', `passed (${report.mode} mode: deny findings do not fail)`)
        : paint('green', 'passed');
  lines.push(
    `${s.checked} of ${s.objects} objects checked: ${s.findings} finding(s) ` +
      `(${s.deny} deny, ${s.warn} warn, ${s.info} info${s.exempted ? `, ${s.exempted} exempted` : ''}) — ${verdict}`,
  );
  return `${lines.join('\n')}\n`;
}
