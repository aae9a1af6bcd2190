/**
 * `check --output json` and `audit --output json` show a finding through one projection; these
 * tests pin that the two outputs agree on the finding's own keys (they once drifted: `check`
 * dropped `ports`).
 */
import { describe, expect, it } from 'vitest';
import { formatJson as auditJson } from '../../src/audit/format.js';
import type { AuditResult } from '../../src/audit/scan.js';
import { formatJson as checkJson } from '../../src/cli/format/json.js';
import type { CheckReport } from '../../src/cli/format/report.js';
import { findingJson } from '../../src/core/finding-json.js';
import type { Finding } from '../../src/core/types.js';

const BASE: Finding = {
  rule: 'nodeport-hostport-collision',
  severity: 'deny',
  kind: 'Service',
  namespace: 'shop',
  name: 'api',
  path: 'spec.ports[0].nodePort',
  nodes: ['worker-1'],
  nodeCount: 1,
  message: 'nodePort 30500 is also a hostPort',
  preexisting: true,
  unknown: false,
  scriptLine: 4,
};

function viaCheck(f: Finding): Record<string, unknown> {
  const report = {
    mode: 'enforce',
    files: ['a.yaml'],
    objects: [],
    findings: [{ ...f, file: 'a.yaml', line: 3 }],
    errors: [],
    summary: {
      objects: 1,
      checked: 1,
      findings: 1,
      deny: 1,
      warn: 0,
      info: 0,
      exempted: 0,
      denied: true,
      errors: 0,
    },
  } satisfies CheckReport;
  const { file: _file, line: _line, ...own } = JSON.parse(checkJson(report)).findings[0];
  return own;
}

function viaAudit(f: Finding): Record<string, unknown> {
  const audit = {
    entries: [{ finding: f, resources: [], exempted: false }],
    clean: [],
    reviewedCount: 1,
    coveredPods: 0,
    coveredWorkloads: 0,
    state: undefined as never,
  } satisfies AuditResult;
  const { exempted: _exempted, resources: _resources, ...own } = JSON.parse(auditJson(audit)).findings[0];
  return own;
}

describe('findingJson', () => {
  it('keeps the contract keys in order and no internal field', () => {
    expect(Object.keys(findingJson({ ...BASE, ports: [30500] }))).toEqual([
      'rule',
      'severity',
      'kind',
      'namespace',
      'name',
      'path',
      'message',
      'nodes',
      'nodeCount',
      'ports',
    ]);
    expect(findingJson(BASE)).not.toHaveProperty('ports');
  });

  it.each([
    ['with ports', { ...BASE, ports: [30500, 30501] }],
    ['without ports', BASE],
  ])('check and audit show a finding %s the same way', (_, f) => {
    const expected = JSON.parse(JSON.stringify(findingJson(f)));
    expect(viaCheck(f)).toEqual(expected);
    expect(viaAudit(f)).toEqual(expected);
    expect(Object.keys(viaCheck(f))).toEqual(Object.keys(viaAudit(f)));
  });
});
