import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { formatPolicyReports } from '../../src/audit/format.js';
import {
  buildPolicyReports,
  mapSeverity,
  PASS_RULE,
  POLICY_REPORT_API_VERSION,
  TRUNCATED_ANNOTATION,
} from '../../src/audit/policy-report.js';
import { type AuditEntry, type AuditResult, nodeResources, type ResourceRef } from '../../src/audit/scan.js';
import { emptyState } from '../../src/core/state.js';
import type { Finding, Severity } from '../../src/core/types.js';
import { DEFAULT_RANGES_LOCATION } from '../../src/kube/read-cluster-ranges.js';
import { nodeRangeOverlapsNodeports } from '../../src/rules/node-range-overlaps-nodeports.js';
import { rangesOf, WIDE } from './cluster-fixtures.js';

const now = new Date('2024-05-01T10:00:00.250Z');

function svcRef(namespace: string, name: string): ResourceRef {
  return { apiVersion: 'v1', kind: 'Service', name, namespace, uid: `uid-${name}` };
}

function entry(namespace: string, name: string, severity: Severity, exempted = false): AuditEntry {
  const finding: Finding = {
    rule: severity === 'deny' ? 'nodeport-in-ephemeral-range' : 'hostnetwork-port-in-ephemeral-range',
    severity,
    kind: 'Service',
    namespace,
    name,
    path: 'spec.ports[0].nodePort',
    nodes: ['worker-1'],
    nodeCount: 1,
    message: `message for ${name}`,
    ports: [32582],
  };
  return { finding, resources: [svcRef(namespace, name)], exempted };
}

function result(entries: AuditEntry[], clean: ResourceRef[] = []): AuditResult {
  return {
    entries,
    clean,
    reviewedCount: entries.length + clean.length,
    coveredPods: 0,
    coveredWorkloads: 0,
    state: emptyState(),
  };
}

describe('mapSeverity', () => {
  it.each([
    { severity: 'deny', result: 'fail', level: 'high' },
    { severity: 'warn', result: 'warn', level: 'medium' },
    { severity: 'info', result: 'warn', level: 'low' },
  ] as const)('$severity → $result/$level', ({ severity, result, level }) => {
    expect(mapSeverity(severity)).toEqual({ result, severity: level });
  });
});

describe('buildPolicyReports', () => {
  const nodeFinding = nodeRangeOverlapsNodeports.evaluate({
    ranges: rangesOf({ 'node.worker-1': WIDE }),
    nodesComplete: true,
  })[0]!;
  const audit = result(
    [
      entry('web', 'api', 'deny'),
      entry('web', 'shop', 'warn'),
      entry('edge', 'lb', 'deny', true),
      {
        finding: nodeFinding,
        resources: nodeResources(nodeFinding.nodes, DEFAULT_RANGES_LOCATION),
        exempted: false,
      },
    ],
    [svcRef('web', 'ok'), svcRef('other', 'fine')],
  );
  const reports = buildPolicyReports(audit, { now });

  it('emits one PolicyReport per namespace, in order, and one ClusterPolicyReport last', () => {
    expect(reports.map((r) => `${r.kind} ${r.metadata.namespace ?? '-'}/${r.metadata.name}`)).toEqual([
      'PolicyReport edge/portguard',
      'PolicyReport other/portguard',
      'PolicyReport web/portguard',
      'ClusterPolicyReport -/portguard',
    ]);
    for (const r of reports) expect(r.apiVersion).toBe(POLICY_REPORT_API_VERSION);
  });

  it('maps findings to results with resources, timestamp and counts them in the summary', () => {
    const web = reports.find((r) => r.metadata.namespace === 'web')!;
    expect(web.results[0]).toEqual({
      policy: 'portguard',
      rule: 'nodeport-in-ephemeral-range',
      result: 'fail',
      severity: 'high',
      message: 'message for api',
      resources: [{ apiVersion: 'v1', kind: 'Service', name: 'api', namespace: 'web', uid: 'uid-api' }],
      source: 'portguard',
      scored: true,
      timestamp: { seconds: 1714557600, nanos: 250_000_000 },
      properties: { path: 'spec.ports[0].nodePort', nodeCount: '1', ports: '32582' },
    });
    expect(web.results.map((r) => `${r.rule}:${r.result}`)).toEqual([
      'nodeport-in-ephemeral-range:fail',
      'hostnetwork-port-in-ephemeral-range:warn',
      `${PASS_RULE}:pass`,
    ]);
    expect(web.summary).toEqual({ pass: 1, fail: 1, warn: 1, error: 0, skip: 0 });
  });

  it('reports exempted findings as skip', () => {
    const edge = reports.find((r) => r.metadata.namespace === 'edge')!;
    expect(edge.results.map((r) => r.result)).toEqual(['skip']);
    expect(edge.summary.skip).toBe(1);
  });

  it('puts node findings in the ClusterPolicyReport, pointing at the Nodes', () => {
    const cluster = reports.at(-1)!;
    expect(cluster.results).toHaveLength(1);
    expect(cluster.results[0]).toMatchObject({
      rule: 'node-range-overlaps-nodeports',
      result: 'warn',
      severity: 'medium',
      resources: [{ apiVersion: 'v1', kind: 'Node', name: 'worker-1' }],
    });
    expect(cluster.summary).toEqual({ pass: 0, fail: 0, warn: 1, error: 0, skip: 0 });
  });

  it('points the default profile finding at the ranges ConfigMap', () => {
    expect(nodeResources(['*'], DEFAULT_RANGES_LOCATION)).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'portguard-node-ranges', namespace: 'portguard-system' },
    ]);
    expect(nodeResources(['*', 'a'], { namespace: 'infra', name: 'ranges' })).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'ranges', namespace: 'infra' },
      { apiVersion: 'v1', kind: 'Node', name: 'a' },
    ]);
  });

  it('drops pass results first when a report would grow too large, and says so', () => {
    const many = result(
      [entry('web', 'api', 'deny')],
      Array.from({ length: 10 }, (_, i) => svcRef('web', `ok-${i}`)),
    );
    const [web] = buildPolicyReports(many, { now, maxResults: 5 });
    expect(web!.results.map((r) => r.result)).toEqual(['fail']);
    expect(web!.summary).toEqual({ pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });
    expect(web!.metadata.annotations).toEqual({ [TRUNCATED_ANNOTATION]: '10' });
  });

  it('an empty audit still yields an empty ClusterPolicyReport', () => {
    const r = buildPolicyReports(result([]), { now });
    expect(r).toEqual([
      {
        apiVersion: POLICY_REPORT_API_VERSION,
        kind: 'ClusterPolicyReport',
        metadata: { name: 'portguard', labels: { 'app.kubernetes.io/managed-by': 'portguard' } },
        results: [],
        summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
      },
    ]);
  });

  it('serialises as a YAML multi-document stream that parses back to the same objects', () => {
    const docs = parseAllDocuments(formatPolicyReports(reports)).map((d) => d.toJS());
    expect(docs).toEqual(JSON.parse(JSON.stringify(reports)));
  });
});
