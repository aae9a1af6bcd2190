/**
 * The one-shot reader of the cluster's node data against the list/watch test server: the
 * ranges ConfigMap in a non-default namespace, report objects found by their label, the
 * Nodes, joined with the same precedence as the server; and what it says when something is
 * missing, forbidden or bad, and how it pages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ListError } from '../../src/kube/paged-list.js';
import { formatRangesError, readClusterRanges } from '../../src/kube/read-cluster-ranges.js';
import { type ListWatchServer, startListWatchServer } from '../support/list-watch-server.js';
import { rangesConfigMap as cm, nodeObject, reportObject as report } from '../support/node-data.js';

const LOC = { namespace: 'infra', name: 'ranges' };

const reportObject = (node: string, entry: Record<string, unknown>, opts?: Parameters<typeof report>[3]) =>
  report(LOC, node, entry, opts);
const rangesConfigMap = (data: Record<string, string>, namespace = LOC.namespace, name = LOC.name) =>
  cm({ namespace, name }, data);
const node = nodeObject;

let server: ListWatchServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('readClusterRanges', () => {
  it('joins the ConfigMap, the report objects beside it and the live Nodes, with the server’s precedence', async () => {
    const s = await startListWatchServer({
      seed: {
        configmaps: [
          rangesConfigMap({
            nodePortRange: '30000-32767',
            default: '{"ipLocalPortRange": "32768 60999", "ipLocalReservedPorts": "40000"}',
            // Hand-written: wins over hand's report, whose evidence still counts.
            'node.hand': '{"ipLocalPortRange": "32768 60999", "ipLocalReservedPorts": "30000-32767"}',
            // An older reporter's copy (hostname label): old's report outranks it.
            'node.old': '{"ipLocalPortRange": "1024 2000", "labels": {"kubernetes.io/hostname": "old"}}',
          }),
          reportObject('w1', {
            ipLocalPortRange: '1024 65535',
            listeners: { tcp: '22,30080' },
            nodePortSourcePorts: { range: '30000-32767', count: 3 },
            labels: { 'kubernetes.io/hostname': 'w1', pool: 'stale' },
          }),
          // Leaves ipLocalReservedPorts out: inherited from the ConfigMap's default.
          reportObject('old', { ipLocalPortRange: '20000 29999' }),
          reportObject('hand', { ipLocalPortRange: '1024 65535', listeners: { udp: '53' } }),
          reportObject('gone', { ipLocalPortRange: '1024 65535' }),
          // Not read: another namespace, and an unlabelled ConfigMap that only looks like a report.
          reportObject('w2', { ipLocalPortRange: '1024 65535' }, { namespace: 'portguard-system' }),
          reportObject('w2', { ipLocalPortRange: '1024 65535' }, { labelled: false }),
          rangesConfigMap({ 'node.w2': '{"ipLocalPortRange": "1024 65535"}' }, 'portguard-system', 'ranges'),
        ],
        nodes: [node('w1', { pool: 'a' }), node('w2', { pool: 'b' }), node('hand'), node('old')],
      },
    });
    server = s;
    const read = await readClusterRanges(s.kubeConfig(), LOC);
    expect(read.errors).toEqual([]);
    expect(read.notes).toEqual([]);
    expect(read.configMapFound).toBe(true);
    expect(read.nodesComplete).toBe(true);
    const { ranges } = read;
    expect(ranges.source).toBe('ConfigMap infra/ranges');
    const profile = (n: string) => ranges.nodes.get(n)?.profile.key;
    expect([...ranges.nodes.keys()].sort()).toEqual(['hand', 'old', 'w1', 'w2']);
    expect(profile('w1')).toBe('1024 65535|40000');
    expect(profile('w2')).toBe('32768 60999|40000');
    expect(profile('hand')).toBe('32768 60999|30000-32767');
    expect(profile('old')).toBe('20000 29999|40000');
    // Live labels, complete; evidence from the reports.
    expect(ranges.nodes.get('w1')).toMatchObject({ labels: { pool: 'a' }, labelsComplete: true });
    expect(ranges.nodes.get('w1')?.evidence?.listeners?.tcp?.toString()).toBe('22,30080');
    expect(ranges.nodes.get('w1')?.evidence?.nodePortSourcePorts?.count).toBe(3);
    expect(ranges.nodes.get('hand')?.evidence?.listeners?.udp?.toString()).toBe('53');
    expect(ranges.nodes.get('w2')?.evidence).toBeUndefined();
    // The reads went to infra only, the reports by label.
    const reads = s.requests.filter((r) => r.path.includes('/configmaps'));
    expect(reads.map((r) => `${r.path} ${r.query['labelSelector'] ?? ''}`.trim())).toEqual([
      '/api/v1/namespaces/infra/configmaps/ranges',
      '/api/v1/namespaces/infra/configmaps portguard.io/node-report=v1',
    ]);
  });

  it('without the ConfigMap: built-in defaults, said so, and the reports still count', async () => {
    const s = await startListWatchServer({
      seed: {
        configmaps: [reportObject('w1', { ipLocalPortRange: '1024 65535' })],
        nodes: [node('w1'), node('w2')],
      },
    });
    server = s;
    const read = await readClusterRanges(s.kubeConfig(), LOC);
    expect(read.configMapFound).toBe(false);
    expect(read.notes).toEqual([
      'ConfigMap infra/ranges not found; using built-in defaults (NodePort range 30000-32767, the kernel ' +
        'default ip_local_port_range 32768 60999 for nodes without data of their own)',
    ]);
    expect(read.ranges.nodes.get('w1')?.profile.key).toBe('1024 65535|');
    expect(read.ranges.nodes.get('w2')?.profile.key).toBe('32768 60999|');
    expect(read.ranges.nodePortRange).toEqual({ lo: 30000, hi: 32767 });
  });

  it('Nodes forbidden: no live nodes, said so; the node set is the entries and reports with their labels', async () => {
    const s = await startListWatchServer({
      seed: {
        configmaps: [
          rangesConfigMap({ 'node.hand': '{"labels": {"pool": "x"}}' }),
          reportObject('w1', { ipLocalPortRange: '1024 65535', labels: { pool: 'y' } }),
        ],
        nodes: [node('w1'), node('w2')],
      },
    });
    server = s;
    s.failRequests('nodes', 1, 403);
    const read = await readClusterRanges(s.kubeConfig(), LOC);
    expect(read.nodesComplete).toBe(false);
    expect(read.notes).toEqual([expect.stringMatching(/^cannot list Nodes \(forbidden\); /)]);
    expect([...read.ranges.nodes.values()].map((n) => [n.name, n.labels, n.labelsComplete])).toEqual([
      ['hand', { pool: 'x' }, false],
      ['w1', { pool: 'y' }, false],
    ]);
  });

  it('returns bad ConfigMap keys and bad report objects as errors naming their object; the rest is used', async () => {
    const s = await startListWatchServer({
      seed: {
        configmaps: [
          rangesConfigMap({ 'node.bad': '{"ipLocalPortRange": "5000 100"}', nodez: 'x' }),
          reportObject('w1', { ipLocalPortRange: '70000 80000' }),
          {
            ...reportObject('w2', { ipLocalPortRange: '1024 65535' }),
            data: { 'node.w2': '{}', 'node.w3': '{}' },
          },
          reportObject('w3', { ipLocalPortRange: '1024 65535' }),
        ],
        nodes: [node('w1'), node('w2'), node('w3')],
      },
    });
    server = s;
    const read = await readClusterRanges(s.kubeConfig(), LOC);
    expect(read.errors.map((e) => [e.object, e.key, e.report])).toEqual([
      ['ConfigMap infra/ranges', 'node.bad', false],
      ['ConfigMap infra/ranges', 'nodez', false],
      ['ConfigMap infra/ranges.w1', 'node.w1', true],
      ['ConfigMap infra/ranges.w2', '', true],
    ]);
    expect(read.errors.map(formatRangesError)).toEqual([
      'ConfigMap infra/ranges: key "node.bad": ipLocalPortRange: low port 5000 is greater than high port 100',
      expect.stringMatching(/^ConfigMap infra\/ranges: key "nodez": unknown key/),
      expect.stringMatching(/^ConfigMap infra\/ranges\.w1: key "node\.w1": ipLocalPortRange: /),
      'ConfigMap infra/ranges.w2: data must hold exactly one key, "node.w2" (found: node.w2, node.w3)',
    ]);
    // The nodes with bad reports fall back to the default profile; w3's report is used.
    expect(read.ranges.nodes.get('w1')?.profile.key).toBe('32768 60999|');
    expect(read.ranges.nodes.get('w2')?.profile.key).toBe('32768 60999|');
    expect(read.ranges.nodes.get('w3')?.profile.key).toBe('1024 65535|');
  });

  it('throws ListError naming the ConfigMap when it cannot be read', async () => {
    const s = await startListWatchServer();
    server = s;
    s.failRequests('configmaps', 1, 403);
    const err = await readClusterRanges(s.kubeConfig(), LOC).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListError);
    expect((err as Error).message).toBe('cannot read ConfigMap infra/ranges: HTTP 403');
  });

  it('pages through report objects and Nodes, 500 at a time, reporting progress', async () => {
    const names = Array.from({ length: 501 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    const s = await startListWatchServer({
      seed: {
        configmaps: [
          rangesConfigMap({}),
          ...names.map((n) => reportObject(n, { ipLocalPortRange: '1024 65535' })),
        ],
        nodes: names.map((n) => node(n)),
      },
    });
    server = s;
    const progress: string[] = [];
    const read = await readClusterRanges(s.kubeConfig(), LOC, (what, n) => progress.push(`${what} ${n}`));
    expect(read.ranges.nodes.size).toBe(501);
    expect([...read.ranges.profiles.keys()]).toEqual(['1024 65535|']);
    expect(
      s.lists('configmaps').map((q) => [q['labelSelector'], q['limit'], q['continue'] !== undefined]),
    ).toEqual([
      ['portguard.io/node-report=v1', '500', false],
      ['portguard.io/node-report=v1', '500', true],
    ]);
    expect(progress).toEqual([
      'node reports in infra 500',
      'node reports in infra 501',
      'nodes 500',
      'nodes 501',
    ]);
  });
});
