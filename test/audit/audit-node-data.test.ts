/**
 * Audit reads the node data where the server does: the ranges ConfigMap named by
 * `--namespace/--configmap` (here not the default one), the nodes' report objects beside
 * it, and the Nodes, against the list/watch test server. A bad ConfigMap key is fatal; a
 * bad report is one node's problem, warned about while the rest of the fleet is audited.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startPeriodicAudit } from '../../src/audit/periodic.js';
import type { PolicyReportObject } from '../../src/audit/policy-report.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { type AuditOptions, runAudit } from '../../src/cli/run-audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { type ListWatchServer, recordingLogger, startListWatchServer } from '../support/list-watch-server.js';
import { nodeObject, rangesConfigMap, reportObject } from '../support/node-data.js';
import { KERNEL, service, WIDE } from './cluster-fixtures.js';

const LOC = { namespace: 'infra', name: 'ranges' };

let reviewer: Reviewer;
beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
});

let server: ListWatchServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * w1 reports a range over the whole NodePort range, so web/api (nodePort 32582) is denied
 * on it; by its ConfigMap entry alone every node is on the kernel default, clear of it.
 */
async function cluster(
  opts: { data?: Record<string, string>; reports?: ReturnType<typeof reportObject>[] } = {},
): Promise<ListWatchServer> {
  server = await startListWatchServer({
    seed: {
      configmaps: [
        rangesConfigMap(LOC, opts.data ?? { default: KERNEL }),
        // The default location holds other data, which must not be read.
        rangesConfigMap({ namespace: 'portguard-system', name: 'portguard-node-ranges' }, { default: WIDE }),
        ...(opts.reports ?? [reportObject(LOC, 'w1', { ipLocalPortRange: '1024 65535' })]),
      ],
      nodes: [nodeObject('w1'), nodeObject('w2')],
      services: [service('web', 'api', [32582])],
    },
  });
  return server;
}

async function audit(s: ListWatchServer, opts: Partial<AuditOptions> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAudit(
    { kc: s.kubeConfig(), output: 'json', namespace: LOC.namespace, configmap: LOC.name, ...opts },
    { stdout: (t) => out.push(t), stderr: (t) => err.push(t), reviewer },
  );
  return { code, out: out.join(''), err: err.join('') };
}

const findings = (out: string) =>
  JSON.parse(out).findings.map((f: { rule: string; name: string }) => `${f.rule} ${f.name}`);

describe('audit --namespace/--configmap with report objects', () => {
  it('judges each node by its report object', async () => {
    const { code, out, err } = await audit(await cluster());
    expect(code).toBe(ExitCode.Ok);
    expect(findings(out)).toEqual(['node-range-overlaps-nodeports w1', 'nodeport-in-ephemeral-range api']);
    // Every workload group is served (and empty), and the report objects are good: no warning.
    expect(err).toBe('');
  });

  it('a bad report object is warned about, and that node falls back; the rest is audited', async () => {
    const s = await cluster({
      reports: [
        reportObject(LOC, 'w1', { ipLocalPortRange: '1024 65535' }),
        reportObject(LOC, 'w2', { ipLocalPortRange: '60999 32768' }),
      ],
    });
    const { code, out, err } = await audit(s);
    expect(code).toBe(ExitCode.Ok);
    expect(err).toContain(
      'portguard audit: ConfigMap infra/ranges.w2: key "node.w2": ipLocalPortRange: low port 60999 is greater ' +
        'than high port 32768; that node is judged by its ConfigMap entry or the default profile\n',
    );
    expect(findings(out)).toEqual(['node-range-overlaps-nodeports w1', 'nodeport-in-ephemeral-range api']);
  });

  it('any bad key in the ranges ConfigMap is fatal (exit 2), naming the ConfigMap and the key', async () => {
    const s = await cluster({ data: { default: KERNEL, 'node.w2': '{"ipLocalPortRange": "5000 100"}' } });
    const { code, out, err } = await audit(s);
    expect(code).toBe(ExitCode.BadInput);
    expect(out).toBe('');
    expect(err).toBe(
      'portguard audit: ConfigMap infra/ranges: key "node.w2": ipLocalPortRange: low port 5000 is greater than high port 100\n',
    );
  });

  it('exits 2 when the named ConfigMap does not exist, even if the default one does', async () => {
    const s = await cluster();
    const { code, err } = await audit(s, { configmap: 'missing' });
    expect(code).toBe(ExitCode.BadInput);
    expect(err).toMatch(
      /ConfigMap infra\/missing not found; deploy portguard, name its ConfigMap with --namespace/,
    );
  });

  it('Nodes forbidden: says so, and the default profile finding points at the named ConfigMap', async () => {
    const s = await cluster({ data: { default: WIDE } });
    s.failRequests('nodes', 1, 403);
    const { code, out, err } = await audit(s, { output: 'policyreport' });
    expect(code).toBe(ExitCode.Ok);
    expect(err).toMatch(/portguard audit: cannot list Nodes \(forbidden\); /);
    const report = parseAllDocuments(out)
      .map((d) => d.toJS())
      .find((d) => d.kind === 'ClusterPolicyReport');
    const resources = report.results.flatMap((r: { resources: unknown[] }) => r.resources);
    expect(resources).toContainEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'infra',
      name: 'ranges',
    });
    expect(resources).toContainEqual({ apiVersion: 'v1', kind: 'Node', name: 'w1' });
  });
});

describe('periodic audit at the server’s location', () => {
  it('reads the ConfigMap and the report objects where the server was told they are', async () => {
    const s = await cluster();
    const written: PolicyReportObject[][] = [];
    const periodic = startPeriodicAudit({
      kc: s.kubeConfig(),
      location: LOC,
      intervalMs: 3_600_000,
      isLeader: () => true,
      reviewer,
      getPolicy: () => DEFAULT_POLICY,
      logger: recordingLogger(),
      listWritten: async () => new Set(),
      write: async (_kc, reports) => {
        written.push(reports);
        return { created: reports.length, updated: 0, failed: [] };
      },
    });
    try {
      expect(await periodic.runOnce()).toMatchObject({ ran: true, ok: true, findings: 2 });
    } finally {
      await periodic.stop();
    }
    const clusterReport = written[0]!.find((r) => r.kind === 'ClusterPolicyReport')!;
    expect(clusterReport.results.map((r) => r.resources?.map((x) => x.name))).toEqual([['w1']]);
  });
});
