/**
 * `--output sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps). Each
 * finding becomes a result at the line (and column) of the key it is about; rule metadata
 * carries the help text the scanning UI shows beside the alert. Files are named relative to
 * a base directory (`%SRCROOT%`: the working directory, or `--base-dir`), as GitHub code
 * scanning resolves them against the repository root. Inputs that could not be read are
 * tool execution notifications, so an upload step always gets a valid document.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../../core/types.js';
import { RULE_METAS } from '../../rules/catalog.js';
import { type CheckReport, type InputError, qualifiedName, type ReportedFinding } from './report.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const TOOL_VERSION = '0.1.0';
const INFORMATION_URI = 'https://github.com/portguard/portguard';
/** The uriBaseId GitHub code scanning (and most SARIF viewers) resolve against the checkout. */
export const SRCROOT = '%SRCROOT%';
const STDIN_NAME = '<stdin>';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  deny: 'error',
  warn: 'warning',
  info: 'note',
};

export interface SarifOptions {
  /** Absolute directory the report's file names are relative to (default: process.cwd()). */
  cwd?: string;
  /** Absolute directory artifact URIs are relative to (`--base-dir`; default: `cwd`). */
  baseDir?: string;
}

export interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

/**
 * Where a report file is for SARIF: relative to `baseDir` under `%SRCROOT%` (forward
 * slashes, percent-encoded), or an absolute file: URL for a file outside it.
 */
export function artifactLocation(file: string, cwd: string, baseDir: string): ArtifactLocation {
  if (file === STDIN_NAME) return { uri: 'stdin' };
  const abs = resolve(cwd, file);
  const rel = relative(baseDir, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(abs).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function region(at: {
  line?: number;
  column?: number;
}): { startLine: number; startColumn?: number } | undefined {
  if (at.line === undefined) return undefined;
  return { startLine: at.line, ...(at.column !== undefined ? { startColumn: at.column } : {}) };
}

/**
 * A fingerprint that names the file, the object, the rule and the JSON path, so it stays
 * the same when lines move and differs between two findings of a rule on one object. Two
 * findings with all four equal (two hazardous writes in one script) get their order among
 * such findings appended.
 */
function fingerprints(findings: ReportedFinding[], uri: (f: ReportedFinding) => string): string[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const key = [f.rule, uri(f), `${f.kind}/${qualifiedName(f)}`, f.path].join('|');
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n === 0 ? key : `${key}|${n}`;
  });
}

function notification(e: InputError, cwd: string, baseDir: string) {
  const at = region(e);
  return {
    level: 'error',
    message: { text: e.message },
    ...(e.file !== undefined
      ? {
          locations: [
            {
              physicalLocation: {
                artifactLocation: artifactLocation(e.file, cwd, baseDir),
                ...(at ? { region: at } : {}),
              },
            },
          ],
        }
      : {}),
  };
}

/** The rules `check` and `audit` can report: those whose metadata has help for the alert. */
const SARIF_RULES = RULE_METAS.flatMap((m) => (m.help === undefined ? [] : [{ ...m, help: m.help }]));

export function formatSarif(report: CheckReport, opts: SarifOptions = {}): string {
  const cwd = opts.cwd ?? process.cwd();
  const baseDir = opts.baseDir ?? cwd;
  const location = (file: string) => artifactLocation(file, cwd, baseDir);
  const ruleIndex = new Map(SARIF_RULES.map((r, i) => [r.id, i]));
  const rules = SARIF_RULES.map((r) => ({
    id: r.id,
    name: r.id,
    shortDescription: { text: r.summary },
    fullDescription: { text: `${r.summary} ${r.help}` },
    help: { text: r.help },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { tags: ['kubernetes', 'networking'] },
  }));
  const prints = fingerprints(report.findings, (f) => location(f.file).uri);
  const results = report.findings.map((f, i) => ({
    ruleId: f.rule,
    // A rule the driver does not list gets no index: index 0 would name another rule.
    ...(ruleIndex.has(f.rule) ? { ruleIndex: ruleIndex.get(f.rule) } : {}),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: { artifactLocation: location(f.file), region: region(f) },
        logicalLocations: [
          { name: f.name, fullyQualifiedName: `${f.kind}/${qualifiedName(f)}`, kind: 'resource' },
        ],
      },
    ],
    partialFingerprints: { 'portguard/v2': prints[i] },
    properties: { severity: f.severity, path: f.path, nodes: f.nodes, nodeCount: f.nodeCount },
  }));
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'portguard', version: TOOL_VERSION, informationUri: INFORMATION_URI, rules },
        },
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((e) => notification(e, cwd, baseDir)),
          },
        ],
        originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(baseDir).href.replace(/\/$/, '')}/` } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
