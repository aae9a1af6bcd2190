/** Picks the formatter for `--output`; each one is a pure function from report to text. */
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import type { OutputFormat } from './output-formats.js';
import type { CheckReport } from './report.js';
import { formatSarif } from './sarif.js';
import { formatText } from './text.js';

export { OUTPUT_FORMATS, type OutputFormat } from './output-formats.js';

export interface FormatOptions {
  /** ANSI colour, text output only. */
  color: boolean;
  /** Wrap text output at this many columns (a terminal's width); undefined: no wrapping. */
  columns?: number;
  /** Absolute directory the report's file names are relative to (SARIF needs absolute URIs for others). */
  cwd?: string;
  /** Absolute directory SARIF artifact URIs are relative to (`--base-dir`; default `cwd`). */
  baseDir?: string;
}

export function formatReport(format: OutputFormat, report: CheckReport, opts: FormatOptions): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, {
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(opts.baseDir ? { baseDir: opts.baseDir } : {}),
      });
    case 'junit':
      return formatJunit(report);
    default:
      return formatText(report, {
        color: opts.color,
        ...(opts.columns !== undefined ? { columns: opts.columns } : {}),
      });
  }
}
