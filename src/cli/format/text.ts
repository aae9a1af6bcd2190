/**
 * `--output text`: for people reading CI logs and terminals. Findings are grouped under
 * the object they belong to (`file:line Kind ns/name`), each with the place of its key, and
 * the summary comes last, where a scrolling log ends. Everything taken from the input
 * (file and object names, paths, messages, node names) has its control characters escaped.
 * Messages, node lists and errors wrap at `columns` when given (a terminal); header, finding
 * and summary lines never wrap, so `file:line:column` stays whole for editors and grep.
 */
import type { Severity } from '../../core/types.js';
import { type CheckReport, qualifiedName, where } from './report.js';
import { escapeControls as esc, wrap } from './terminal.js';

const ANSI = { red: '31', yellow: '33', cyan: '36', bold: '1', dim: '2', green: '32' } as const;
type Style = keyof typeof ANSI;

const SEVERITY_STYLE: Record<Severity, Style> = { deny: 'red', warn: 'yellow', info: 'cyan' };

/** Narrower than this, wrapping would make a column of single words: wrap at this instead. */
const MIN_WIDTH = 40;
const INDENT = '       ';

export interface TextOptions {
  color: boolean;
  /** The terminal's width; undefined (not a terminal): no wrapping. */
  columns?: number;
}

export function formatText(report: CheckReport, opts: TextOptions | boolean): string {
  const { color, columns } = typeof opts === 'boolean' ? { color: opts, columns: undefined } : opts;
  const width = columns === undefined ? undefined : Math.max(columns, MIN_WIDTH);
  const paint = (style: Style, s: string) => (color ? `\u001b[${ANSI[style]}m${s}\u001b[0m` : s);
  const lines: string[] = [];
  for (const obj of report.objects) {
    if (obj.findings.length === 0) continue;
    lines.push(paint('bold', esc(`${obj.file}:${obj.line} ${obj.kind} ${qualifiedName(obj)}`)));
    for (const f of obj.findings) {
      const sev = paint(SEVERITY_STYLE[f.severity], f.severity.padEnd(4));
      const at = f.path ? paint('dim', ` at ${esc(f.path)}`) : '';
      lines.push(`  ${sev} ${f.rule}${at} (${esc(where(f))})`);
      lines.push(...wrap(esc(f.message), width, INDENT, INDENT));
      if (f.nodeCount > 0) {
        const more = f.nodeCount > f.nodes.length ? ` (+${f.nodeCount - f.nodes.length} more)` : '';
        const names = f.nodes
          .map((n) => (n === '*' ? '* (nodes on the default profile)' : esc(n)))
          .join(', ');
        for (const line of wrap(`${names}${more}`, width, `${INDENT}nodes: `, `${INDENT}  `)) {
          lines.push(paint('dim', line));
        }
      }
    }
    lines.push('');
  }
  for (const e of report.errors) {
    const at = where(e);
    const [head = '', ...rest] = wrap(esc(`${at ? `${at}: ` : ''}${e.message}`), width, 'error ', '      ');
    lines.push(`${paint('red', 'error')}${head.slice('error'.length)}`, ...rest);
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
