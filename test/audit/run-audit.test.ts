import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startPeriodicAudit } from '../../src/audit/periodic.js';
import { writePolicyReports } from '../../src/audit/write-reports.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { type AuditOptions, runAudit } from '../../src/cli/run-audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { DEFAULT_RANGES_LOCATION } from '../../src/kube/read-cluster-ranges.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { type ListWatchServer, startListWatchServer } from '../support/list-watch-server.js';
import { KERNEL, owner, pod, podSpec, service, WIDE, workload } from './cluster-fixtures.js';

const POLICY_REPORTS = 'wgpolicyk8s.io/v1alpha2/policyreports';
const CLUSTER_POLICY_REPORTS = 'wgpolicyk8s.io/v1alpha2/clusterpolicyreports';

let reviewer: Reviewer;
beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
});

let server: ListWatchServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const rangesData = {
  'node.worker-1': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-30999"}',
  default: KERNEL,
};

function strip<T extends { kind?: string; apiVersion?: string }>(o: T): Omit<T, 'kind' | 'apiVersion'> {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest;
}

/** A cluster with `bulk` harmless Services besides the interesting ones, to force paging. */
async function cluster(bulk = 0): Promise<ListWatchServer> {
  const deploy = workload(
    'Deployment',
    'mon',
    'agent',
    podSpec({ hostNetwork: true, ports: [{ containerPort: 9100 }] }),
  );
  const rs = workload('ReplicaSet', 'mon', 'agent-1', deploy.spec.template.spec, [
    owner('Deployment', 'agent', deploy.metadata.uid),
  ]);
  return startListWatchServer({
    seed: {
      configmaps: [
        { metadata: { namespace: 'portguard-system', name: 'portguard-node-ranges' }, data: rangesData },
      ],
      nodes: [
        { metadata: { name: 'worker-1', labels: { pool: 'a' } } },
        { metadata: { name: 'worker-2', labels: { pool: 'b' } } },
      ],
      services: [
        service('web', 'api', [32582]),
        service('web', 'safe', [30001]),
        strip(service('web', 'internal', [], { type: 'ClusterIP' })),
        ...Array.from({ length: bulk }, (_, i) => service('bulk', `s${String(i).padStart(4, '0')}`, [30100])),
      ].map(strip),
      pods: [
        pod('mon', 'agent-1-x', { ...deploy.spec.template.spec, nodeName: 'worker-1' }, [
          owner('ReplicaSet', 'agent-1', rs.metadata.uid),
        ]),
        pod('web', 'plain', podSpec({ ports: [{ containerPort: 80 }] })),
      ].map(strip),
      'apps/v1/deployments': [strip(deploy)],
      'apps/v1/replicasets': [strip(rs)],
    },
  });
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (s: string) => out.push(s),
      stderr: (s: string) => err.push(s),
      reviewer,
      now: () => new Date('2024-05-01T00:00:00Z'),
    },
  };
}

async function audit(s: ListWatchServer, opts: Partial<AuditOptions> = {}) {
  const cap = io();
  const code = await runAudit({ kc: s.kubeConfig(), output: 'json', ...opts }, cap.io);
  return { code, out: cap.out.join(''), err: cap.err.join('') };
}

describe('runAudit against a fake apiserver', () => {
  it('follows continue tokens on every list and reports progress when asked', async () => {
    server = await cluster(1203);
    const { code, out, err } = await audit(server, { progress: true });
    expect(code).toBe(ExitCode.Ok);
    const lists = server.lists('services');
    expect(lists.map((q) => q['limit'])).toEqual(['500', '500', '500']);
    expect(lists[0]!['continue']).toBeUndefined();
    expect(lists.slice(1).every((q) => typeof q['continue'] === 'string')).toBe(true);
    expect(err).toContain('listed 500 services...\nlisted 1000 services...\nlisted 1206 services...\n');
    const json = JSON.parse(out);
    expect(json.summary.reviewed).toBe(2 + 1203 + 1);
  });

  it('restarts a list whose continue token expired (410)', async () => {
    server = await cluster(700);
    server.expireContinue('services', 1);
    const { code } = await audit(server);
    expect(code).toBe(ExitCode.Ok);
    expect(server.lists('services').map((q) => (q['continue'] ? 'next' : 'first'))).toEqual([
      'first',
      'next',
      'first',
      'next',
    ]);
  });

  it('prints no progress when stderr is not a terminal, and machine output alone on stdout', async () => {
    server = await cluster();
    const { out, err } = await audit(server);
    expect(err).toBe('');
    const json = JSON.parse(out);
    expect(json.findings.map((f: { rule: string; name: string }) => `${f.rule} ${f.name}`)).toEqual([
      'node-range-overlaps-nodeports worker-1',
      'hostnetwork-port-in-ephemeral-range agent',
      'nodeport-in-ephemeral-range api',
    ]);
    expect(json.summary).toMatchObject({
      reviewed: 3,
      coveredPods: 1,
      coveredWorkloads: 1,
      deny: 1,
      warn: 2,
    });
  });

  it('what-if: --ranges judges existing Services against proposed ranges, and --fix moves them', async () => {
    server = await cluster();
    const dir = await mkdtemp(path.join(tmpdir(), 'pg-audit-'));
    const file = path.join(dir, 'proposed.yaml');
    await writeFile(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: portguard-node-ranges}\ndata:\n' +
        `  node.worker-1: '${rangesData['node.worker-1']}'\n  node.worker-2: '${WIDE.replace('}', ', "ipLocalReservedPorts": "30000,30002-30005"}')}'\n`,
    );
    const { code, out } = await audit(server, { ranges: file, output: 'text', fix: true });
    expect(code).toBe(ExitCode.Ok);
    expect(out).toContain('Service web/api');
    expect(out).toContain('Service web/safe');
    expect(out).toContain(
      `kubectl patch service -n web api --type=json -p '[{"op":"replace","path":"/spec/ports/0/nodePort","value":30000}]'`,
    );
    expect(out).toContain(
      `kubectl patch service -n web safe --type=json -p '[{"op":"replace","path":"/spec/ports/0/nodePort","value":30002}]'`,
    );
  });

  it.each([
    {
      name: 'a bad key in --ranges',
      file: 'node.worker-1: \'{"ipLocalPortRange": "5000 100"}\'\n',
      want: /key "node\.worker-1".*low port 5000 is greater than high port 100/,
    },
    { name: 'an unknown key in --ranges', file: 'nodes: x\n', want: /key "nodes": unknown key/ },
  ])('exits 2 on $name, naming the key', async ({ file, want }) => {
    server = await cluster();
    const dir = await mkdtemp(path.join(tmpdir(), 'pg-audit-'));
    await writeFile(path.join(dir, 'r.yaml'), file);
    const { code, err, out } = await audit(server, { ranges: path.join(dir, 'r.yaml') });
    expect(code).toBe(ExitCode.BadInput);
    expect(err).toMatch(want);
    expect(out).toBe('');
  });

  it('exits 2 when the cluster has no ranges ConfigMap and no --ranges is given', async () => {
    server = await startListWatchServer();
    const { code, err } = await audit(server);
    expect(code).toBe(ExitCode.BadInput);
    expect(err).toContain('ConfigMap portguard-system/portguard-node-ranges not found');
  });

  it.each([
    ['forbidden (403)', 403],
    ['not served (404, e.g. a group the apiserver lacks)', 404],
  ])('skips workload kinds %s with a warning, and still audits the rest', async (_name, status) => {
    server = await cluster();
    server.failRequests('apps/v1/deployments', Number.POSITIVE_INFINITY, status);
    const { code, err, out } = await audit(server);
    expect(code).toBe(ExitCode.Ok);
    expect(err).toContain('cannot list deployments');
    expect(JSON.parse(out).findings.map((f: { name: string }) => f.name)).toContain('api');
  });

  it('audits ReplicationControllers and bare pods that nsenter the node through hostPID', async () => {
    server = await cluster();
    const widen = ['/bin/sh', '-c', 'sysctl -w net.ipv4.ip_local_port_range="1024 65535"'];
    const nsenter = ['/bin/sh', '-c', 'nsenter -t 1 -n sysctl -w net.ipv4.ip_local_port_range="1024 65535"'];
    server.emit(
      'v1/replicationcontrollers',
      'ADDED',
      strip(
        workload('ReplicationController', 'ops', 'legacy', podSpec({ hostNetwork: true, command: widen })),
      ),
    );
    server.emit(
      'pods',
      'ADDED',
      strip(pod('ops', 'tuner', { ...podSpec({ command: nsenter }), hostPID: true })),
    );
    const { code, out } = await audit(server);
    expect(code).toBe(ExitCode.Ok);
    const found = JSON.parse(out).findings.map((f: { rule: string; kind: string; name: string }) =>
      [f.rule, f.kind, f.name].join(' '),
    );
    expect(found).toContain('port-range-overlaps-nodeports ReplicationController legacy');
    expect(found).toContain('port-range-overlaps-nodeports Pod tuner');
  });

  it('exits 2 when Services cannot be listed', async () => {
    server = await cluster();
    server.forbid('services');
    const { code, err } = await audit(server);
    expect(code).toBe(ExitCode.BadInput);
    expect(err).toContain('cannot read services: HTTP 403');
  });

  it('--output policyreport emits a YAML stream of reports', async () => {
    server = await cluster();
    const { out } = await audit(server, { output: 'policyreport' });
    const docs = parseAllDocuments(out).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace ?? ''}`)).toEqual([
      'PolicyReport mon',
      'PolicyReport web',
      'ClusterPolicyReport ',
    ]);
    expect(docs[1].summary).toEqual({ pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });
  });
});

describe('writing PolicyReports', () => {
  it('creates reports, then replaces them with the current resourceVersion', async () => {
    server = await cluster();
    const { out } = await audit(server, { output: 'policyreport' });
    const reports = parseAllDocuments(out).map((d) => d.toJS());
    const first = await writePolicyReports(server.kubeConfig(), reports);
    expect(first).toEqual({ created: 3, updated: 0, failed: [] });
    const again = await writePolicyReports(server.kubeConfig(), reports);
    expect(again).toEqual({ created: 0, updated: 3, failed: [] });
    expect(server.get(POLICY_REPORTS, 'portguard', 'web').summary.fail).toBe(1);
    expect(server.get(CLUSTER_POLICY_REPORTS, 'portguard').kind).toBe('ClusterPolicyReport');
  });

  it('reports a failure per report without stopping the others', async () => {
    server = await cluster();
    server.forbid(CLUSTER_POLICY_REPORTS);
    const { out } = await audit(server, { output: 'policyreport' });
    const outcome = await writePolicyReports(
      server.kubeConfig(),
      parseAllDocuments(out).map((d) => d.toJS()),
    );
    expect(outcome.created).toBe(2);
    expect(outcome.failed).toEqual([{ kind: 'ClusterPolicyReport', name: 'portguard', reason: 'HTTP 403' }]);
  });
});

describe('startPeriodicAudit', () => {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };

  it('writes only while leading, and empties reports of namespaces that no longer have results', async () => {
    server = await cluster();
    let leader = false;
    const periodic = startPeriodicAudit({
      kc: server.kubeConfig(),
      location: DEFAULT_RANGES_LOCATION,
      intervalMs: 3_600_000,
      isLeader: () => leader,
      reviewer,
      getPolicy: () => DEFAULT_POLICY,
      logger,
    });
    try {
      expect(await periodic.runOnce()).toEqual({ ran: false, reason: 'not-leader' });
      expect(server.list(POLICY_REPORTS)).toEqual([]);
      leader = true;
      const outcome = await periodic.runOnce();
      expect(outcome).toMatchObject({ ran: true, ok: true, write: { created: 3 } });
      // The Service moves away: its namespace's report must not keep the old failure.
      server.emit('services', 'MODIFIED', strip(service('web', 'api', [30002])));
      server.emit('services', 'MODIFIED', strip(service('web', 'safe', [30003])));
      await periodic.runOnce();
      const web = server.get(POLICY_REPORTS, 'portguard', 'web');
      expect(web.summary).toEqual({ pass: 2, fail: 0, warn: 0, error: 0, skip: 0 });
    } finally {
      await periodic.stop();
    }
  });

  it('logs and reports a failed run instead of throwing', async () => {
    server = await startListWatchServer();
    const errors: string[] = [];
    const periodic = startPeriodicAudit({
      kc: server.kubeConfig(),
      location: DEFAULT_RANGES_LOCATION,
      intervalMs: 3_600_000,
      isLeader: () => true,
      reviewer,
      getPolicy: () => DEFAULT_POLICY,
      logger: { ...logger, error: (_o, m) => errors.push(m) },
    });
    const outcome = await periodic.runOnce();
    await periodic.stop();
    expect(outcome).toMatchObject({ ran: true, ok: false });
    expect(errors).toHaveLength(1);
  });
});
