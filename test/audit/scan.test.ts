import { beforeAll, describe, expect, it } from 'vitest';
import { planFixes } from '../../src/audit/fix.js';
import { formatJson, formatText } from '../../src/audit/format.js';
import { buildPolicyReports } from '../../src/audit/policy-report.js';
import { type AuditResult, scanObjects } from '../../src/audit/scan.js';
import type { ClusterObjects } from '../../src/audit/select.js';
import type { ClusterRanges } from '../../src/core/node-ranges.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { DEFAULT_RANGES_LOCATION } from '../../src/kube/read-cluster-ranges.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { KERNEL, owner, pod, podSpec, rangesOf, service, workload } from './cluster-fixtures.js';

let reviewer: Reviewer;
beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
});

// worker-1 reserves 30000-30999, so only 31000-32767 of the NodePort range is at risk there.
const current = {
  'node.worker-1': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-30999"}',
  'node.worker-2': KERNEL,
};
// The planned change: worker-2 gets the seed-000 wide range, reserving only 30000-30099.
const proposed = {
  ...current,
  'node.worker-2': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-30099"}',
};

const hostNetSpec = podSpec({ hostNetwork: true, ports: [{ containerPort: 30500 }] });
const deploy = workload(
  'Deployment',
  'mon',
  'agent',
  podSpec({ hostNetwork: true, ports: [{ containerPort: 9100 }] }),
);
const rs = workload('ReplicaSet', 'mon', 'agent-1', deploy.spec.template.spec, [
  owner('Deployment', 'agent', deploy.metadata.uid),
]);

function cluster(): ClusterObjects {
  return {
    services: [
      service('web', 'api', [32582]),
      service('web', 'shop', [30010, 31500]),
      service('web', 'safe', [30001]),
      service('edge', 'collide', [30500]),
    ],
    pods: [
      pod('edge', 'debug', { ...hostNetSpec, nodeName: 'worker-2' }),
      pod('mon', 'agent-1-abc', { ...deploy.spec.template.spec, nodeName: 'worker-1' }, [
        owner('ReplicaSet', 'agent-1', rs.metadata.uid),
      ]),
    ],
    workloads: [deploy, rs],
  };
}

function scan(ranges: ClusterRanges, objects = cluster()): AuditResult {
  return scanObjects({
    objects,
    ranges,
    nodesComplete: true,
    policy: DEFAULT_POLICY,
    reviewer,
    rangesConfigMap: DEFAULT_RANGES_LOCATION,
  });
}

function summary(audit: AuditResult): string[] {
  return audit.entries.map(
    (e) =>
      `${e.finding.severity} ${e.finding.rule} ${e.finding.kind} ${e.finding.namespace}/${e.finding.name} ${e.finding.path}`,
  );
}

describe('audit over a fixture cluster state', () => {
  it('reports Services in some node ephemeral range, collisions both ways, and reports pods once', () => {
    const audit = scan(rangesOf(current));
    expect(summary(audit)).toEqual([
      'warn node-range-overlaps-nodeports Node /worker-1 ipLocalPortRange',
      'deny nodeport-hostport-collision Pod edge/debug spec.containers[0].ports[0].containerPort',
      'deny nodeport-hostport-collision Service edge/collide spec.ports[0].nodePort',
      'warn hostnetwork-port-in-ephemeral-range Deployment mon/agent spec.template.spec.containers[0].ports[0].containerPort',
      'deny nodeport-in-ephemeral-range Service web/api spec.ports[0].nodePort',
      'deny nodeport-in-ephemeral-range Service web/shop spec.ports[1].nodePort',
    ]);
    expect(audit.coveredPods).toBe(1);
    expect(audit.coveredWorkloads).toBe(1);
    expect(audit.reviewedCount).toBe(6);
    expect(audit.clean.map((r) => `${r.kind}/${r.name}`)).toEqual(['Service/safe']);
    const api = audit.entries.find((e) => e.finding.name === 'api')!;
    expect(api.resources).toEqual([
      { apiVersion: 'v1', kind: 'Service', name: 'api', namespace: 'web', uid: 'uid-svc-web-api' },
    ]);
    expect(api.finding.nodes).toEqual(['worker-1']);
  });

  it('what-if: the proposed ranges show which existing Services would conflict after the change', () => {
    const before = scan(rangesOf(current));
    const after = scan(rangesOf(proposed));
    const conflicting = (a: AuditResult) =>
      a.entries
        .filter((e) => e.finding.rule === 'nodeport-in-ephemeral-range')
        .map(
          (e) => `${e.finding.namespace}/${e.finding.name} ${e.finding.ports} ${e.finding.nodes.join('+')}`,
        );
    expect(conflicting(before)).toEqual(['web/api 32582 worker-1', 'web/shop 31500 worker-1']);
    expect(conflicting(after)).toEqual([
      'edge/collide 30500 worker-2',
      'web/api 32582 worker-1+worker-2',
      'web/shop 31500 worker-1+worker-2',
    ]);
    expect(
      after.entries
        .filter((e) => e.finding.rule === 'node-range-overlaps-nodeports')
        .map((e) => e.finding.name),
    ).toEqual(['worker-1', 'worker-2']);
  });

  it('reviews the hostNetwork workload template against Services', () => {
    const objects = cluster();
    objects.services.push(service('mon', 'metrics', [9100], {}));
    // 9100 is outside the NodePort range, so only a cluster with a low NodePort range can collide.
    const audit = scan(rangesOf({ ...current, nodePortRange: '9000-9999' }), objects);
    expect(summary(audit)).toContain(
      'deny nodeport-hostport-collision Deployment mon/agent spec.template.spec.containers[0].ports[0].containerPort',
    );
    expect(summary(audit).filter((s) => s.includes('agent-1-abc'))).toEqual([]);
  });

  it('never blocks, whatever the policy mode, and honours exemptions as exempted entries', () => {
    const audit = scanObjects({
      objects: cluster(),
      ranges: rangesOf(current),
      nodesComplete: true,
      rangesConfigMap: DEFAULT_RANGES_LOCATION,
      policy: { ...DEFAULT_POLICY, mode: 'enforce', exemptions: [{ namespaces: ['web'], names: ['api'] }] },
      reviewer,
    });
    const api = audit.entries.filter((e) => e.finding.name === 'api');
    expect(api.map((e) => e.exempted)).toEqual([true]);
    expect(audit.clean.map((r) => r.name)).not.toContain('api');
  });
});

describe('--fix over the fixture cluster', () => {
  it('moves every conflicting Service port to distinct safe free ports, static band first', () => {
    const audit = scan(rangesOf(proposed));
    const fixes = planFixes(audit.entries, audit.state);
    // 30001 is held by web/safe, so it is skipped; every port is handed out once.
    expect(fixes.map((f) => f.command)).toEqual([
      `kubectl patch service -n edge collide --type=json -p '[{"op":"replace","path":"/spec/ports/0/nodePort","value":30000}]'`,
      `kubectl patch service -n web api --type=json -p '[{"op":"replace","path":"/spec/ports/0/nodePort","value":30002}]'`,
      `kubectl patch service -n web shop --type=json -p '[{"op":"replace","path":"/spec/ports/1/nodePort","value":30003}]'`,
    ]);
  });

  it('the moved Services pass a second audit', () => {
    const objects = cluster();
    const audit = scan(rangesOf(current), objects);
    const fixes = planFixes(audit.entries, audit.state);
    expect(fixes.length).toBeGreaterThan(0);
    for (const fix of fixes) {
      const svc = objects.services.find(
        (s) => s.metadata.namespace === fix.namespace && s.metadata.name === fix.name,
      )!;
      for (const m of fix.moves) svc.spec.ports[Number(/\d+/.exec(m.path)![0])].nodePort = m.to;
    }
    const again = scan(rangesOf(current), objects);
    expect(summary(again).filter((s) => s.includes('Service'))).toEqual([]);
  });
});

describe('audit with what node reporters measured', () => {
  // worker-1 saw 4 connections from NodePorts; worker-2 has a process listening on web/safe's 30001.
  const measured = {
    'node.worker-1':
      '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-30999", "nodePortSourcePorts": {"range": "30000-32767", "count": 4}}',
    'node.worker-2': '{"ipLocalPortRange": "32768 60999", "listeners": {"tcp": "22,30001"}}',
  };

  it('reports the node finding and the listener collision, in every output format', () => {
    const audit = scan(rangesOf(measured));
    expect(summary(audit).filter((l) => /source-ports|listener/.test(l))).toEqual([
      'warn node-nodeport-source-ports-in-use Node /worker-1 nodePortSourcePorts',
      'deny nodeport-host-listener-collision Service web/safe spec.ports[0].nodePort',
    ]);
    const node = audit.entries.find((e) => e.finding.rule === 'node-nodeport-source-ports-in-use')!;
    expect(node.resources).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'worker-1' }]);
    expect(node.finding.message).toContain('ip_local_reserved_ports to "30000-32767"');

    expect(formatText(audit)).toContain(
      '  warn   node-nodeport-source-ports-in-use nodePortSourcePorts\n         node worker-1: 4 connections use',
    );
    const json = JSON.parse(formatJson(audit)) as { findings: { rule: string; nodeCount: number }[] };
    expect(json.findings.filter((f) => f.rule === 'node-nodeport-source-ports-in-use')).toMatchObject([
      { nodeCount: 1 },
    ]);
    const cluster = buildPolicyReports(audit, { now: new Date(0) }).at(-1)!;
    expect(cluster.kind).toBe('ClusterPolicyReport');
    expect(cluster.results.find((r) => r.rule === 'node-nodeport-source-ports-in-use')).toMatchObject({
      result: 'warn',
      severity: 'medium',
      resources: [{ kind: 'Node', name: 'worker-1' }],
      properties: { path: 'nodePortSourcePorts', nodeCount: '1' },
    });
  });

  it('keeps the evidence when the Node list completes the ranges, and honours exemptions', () => {
    const audit = scanObjects({
      objects: cluster(),
      ranges: rangesOf(measured),
      nodesComplete: true,
      policy: { ...DEFAULT_POLICY, exemptions: [{ rules: ['node-nodeport-source-ports-in-use'] }] },
      reviewer,
      rangesConfigMap: DEFAULT_RANGES_LOCATION,
    });
    const node = audit.entries.filter((e) => e.finding.rule === 'node-nodeport-source-ports-in-use');
    expect(node.map((e) => e.exempted)).toEqual([true]);
  });

  it('--fix moves the Service off the listened port to a port no node process listens on', () => {
    const audit = scan(rangesOf(measured));
    const fix = planFixes(audit.entries, audit.state).find((f) => f.name === 'safe')!;
    // 30000 and 30002 went to edge/collide and web/api, which come first; 30001 is the listened port.
    expect(fix.moves.map((m) => [m.from, m.to])).toEqual([[30001, 30003]]);
  });
});
