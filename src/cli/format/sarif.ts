/**
 * `--output sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps). Each
 * finding becomes a result at the manifest's file and line; rule metadata carries the
 * help text the scanning UI shows beside the alert.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../../core/types.js';
import { type CheckReport, qualifiedName } from './report.js';
import { RULE_HELP } from './rule-help.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const TOOL_VERSION = '0.1.0';
const INFORMATION_URI = 'https://github.com/portguard/portguard';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  deny: 'error',
  warn: 'warning',
  info: 'note',
};

/** SARIF wants URIs: relative paths with forward slashes, absolute ones as file: URLs. */
export function artifactUri(file: string): string {
  if (file === '<stdin>') return 'stdin';
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}

export function formatSarif(report: CheckReport): string {
  const ruleIndex = new Map(RULE_HELP.map((r, i) => [r.id, i]));
  const rules = RULE_HELP.map((r) => ({
    id: r.id,
    name: r.id,
    shortDescription: { text: r.short },
    fullDescription: { text: `${r.short} ${r.help}` },
    help: { text: r.help },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { tags: ['kubernetes', 'networking'] },
  }));
  const results = report.findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: ruleIndex.get(f.rule) ?? 0,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: artifactUri(f.file) },
          region: { startLine: f.line },
        },
        logicalLocations: [
          { name: f.name, fullyQualifiedName: `${f.kind}/${qualifiedName(f)}`, kind: 'resource' },
        ],
      },
    ],
    partialFingerprints: { 'portguard/v1': `${f.rule}|${f.kind}/${qualifiedName(f)}|${f.path}` },
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
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
