/**
 * `portguard ranges export` and `portguard check --kubeconfig` in-process against the
 * list/watch test server, through a kubeconfig file as a user would pass it: the export is
 * deterministic, and `check --ranges` of it sees the same ClusterRanges (profiles, labels,
 * evidence) as the live reader, entries with `kubernetes.io/hostname` included.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { type RangesExportOptions, runRangesExport } from '../../src/cli/ranges-command.js';
import { parseRangesText } from '../../src/cli/ranges-file.js';
import { type ClusterRanges, evidenceJson } from '../../src/core/node-ranges.js';
import { readClusterRanges } from '../../src/kube/read-cluster-ranges.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../../src/shell/index.js';
import { type ListWatchServer, startListWatchServer } from '../support/list-watch-server.js';
import { nodeObject, rangesConfigMap, reportObject } from '../support/node-data.js';
import { mkTmp } from './run-cli.js';

const LOC = { namespace: 'infra', name: 'ranges' };
const HOST = 'kubernetes.io/hostname';

let scripts: ScriptAnalyzer;
beforeAll(async () => {
  scripts = await createScriptAnalyzer();
});

let server: ListWatchServer | undefined;
let dir: string;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * Three nodes, each on another source of data: w1 by its report (with evidence), hand by
 * a hand-written entry (its report's evidence still counts), w3 by the default.
 */
async function cluster(extra: ReturnType<typeof reportObject>[] = [], withConfigMap = true): Promise<string> {
  const ranges = rangesConfigMap(LOC, {
    nodePortRange: '30000-32767',
    default: '{"ipLocalPortRange": "32768 60999"}',
    'node.hand': '{"ipLocalPortRange": "32768 60999", "ipLocalReservedPorts": "30000-32767,40000"}',
  });
  server = await startListWatchServer({
    seed: {
      configmaps: [
        ...(withConfigMap ? [ranges] : []),
        reportObject(LOC, 'w1', {
          ipLocalPortRange: '1024 65535',
          ipLocalReservedPorts: '30000-30100',
          listeners: { tcp: '22,30200', udp: '' },
          listenersTruncated: true,
          nodePortSourcePorts: { range: '30000-32767', count: 4 },
          labels: { [HOST]: 'w1' },
        }),
        reportObject(LOC, 'hand', { ipLocalPortRange: '1024 65535', listeners: { sctp: '9' } }),
        ...extra,
      ],
      nodes: [
        nodeObject('w3', { [HOST]: 'w3', pool: 'b' }),
        nodeObject('w1', { pool: 'a', [HOST]: 'w1' }),
        nodeObject('hand', { [HOST]: 'hand' }),
      ],
    },
  });
  dir = mkTmp('pg-ranges-export-');
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeConfig().exportConfig());
  return kubeconfig;
}

function sink() {
  const s = { out: '', err: '' };
  return {
    s,
    io: {
      stdout: (t: string) => {
        s.out += t;
      },
      stderr: (t: string) => {
        s.err += t;
      },
      cwd: dir,
    },
  };
}

async function exportRanges(opts: RangesExportOptions) {
  const { s, io } = sink();
  const code = await runRangesExport({ namespace: LOC.namespace, configmap: LOC.name, ...opts }, io);
  return { code, ...s };
}

/** What check and the reader must agree on: every node's profile, labels and evidence. */
function view(ranges: ClusterRanges) {
  return {
    nodePortRange: ranges.nodePortRange,
    default: ranges.defaultProfile.key,
    nodes: [...ranges.nodes.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n) => ({
        name: n.name,
        profile: n.profile.key,
        labels: n.labels,
        evidence: evidenceJson(n.evidence),
      })),
  };
}

describe('portguard ranges export', () => {
  it('writes the effective per-node view as a ConfigMap, nodes sorted, fields in a fixed order', async () => {
    const kubeconfig = await cluster();
    const { code, out, err } = await exportRanges({ kubeconfig });
    expect(err).toBe('');
    expect(code).toBe(ExitCode.Ok);
    expect(out).toBe(
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: ranges-export',
        '  annotations:',
        '    portguard.io/exported-from: infra/ranges',
        'data:',
        '  nodePortRange: 30000-32767',
        '  default: \'{"ipLocalPortRange":"32768 60999","ipLocalReservedPorts":""}\'',
        '  node.hand: \'{"ipLocalPortRange":"32768 60999","ipLocalReservedPorts":"30000-32767,40000",' +
          '"listeners":{"sctp":"9"},"labels":{"kubernetes.io/hostname":"hand"}}\'',
        '  node.w1: \'{"ipLocalPortRange":"1024 65535","ipLocalReservedPorts":"30000-30100",' +
          '"listeners":{"tcp":"22,30200","udp":""},"listenersTruncated":true,' +
          '"nodePortSourcePorts":{"range":"30000-32767","count":4},' +
          '"labels":{"kubernetes.io/hostname":"w1","pool":"a"}}\'',
        '  node.w3: \'{"ipLocalPortRange":"32768 60999","ipLocalReservedPorts":"",' +
          '"labels":{"kubernetes.io/hostname":"w3","pool":"b"}}\'',
        '',
      ].join('\n'),
    );
    // The same cluster exports the same text.
    expect((await exportRanges({ kubeconfig })).out).toBe(out);
  });

  it('round trip: check --ranges of the export sees what the reader sees (hostname-labelled entries included)', async () => {
    const kubeconfig = await cluster();
    const { code } = await exportRanges({ kubeconfig, output: 'export.yaml' });
    expect(code).toBe(ExitCode.Ok);
    const file = parseRangesText(readFileSync(join(dir, 'export.yaml'), 'utf8'), 'export.yaml');
    const live = await readClusterRanges(server!.kubeConfig(), LOC);
    expect(view(file)).toEqual(view(live.ranges));
    // Every entry carries kubernetes.io/hostname; in a file that marks nothing.
    expect([...file.nodes.values()].every((n) => n.labels[HOST] === n.name)).toBe(true);
    expect(view(file).nodes.map((n) => n.profile)).toEqual([
      '32768 60999|30000-32767,40000',
      '1024 65535|30000-30100',
      '32768 60999|',
    ]);
  });

  it('without the ConfigMap: exports built-in defaults and the reports, and says so on stderr', async () => {
    const kubeconfig = await cluster([], false);
    const { code, out, err } = await exportRanges({ kubeconfig });
    expect(code).toBe(ExitCode.Ok);
    expect(err).toMatch(
      /^portguard ranges export: ConfigMap infra\/ranges not found; using built-in defaults/,
    );
    expect(out).toContain('  default: \'{"ipLocalPortRange":"32768 60999","ipLocalReservedPorts":""}\'\n');
    // No hand-written entry for hand now: its report decides.
    expect(out).toContain('  node.hand: \'{"ipLocalPortRange":"1024 65535","ipLocalReservedPorts":"",');
  });

  it.each<
    [
      string,
      { extra?: ReturnType<typeof reportObject>[]; kubeconfig?: string; context?: string },
      string | RegExp,
    ]
  >([
    [
      'a bad report object',
      { extra: [reportObject(LOC, 'w3', { ipLocalPortRange: '60999 1024' })] },
      'portguard ranges export: ConfigMap infra/ranges.w3: key "node.w3": ipLocalPortRange: low port 60999 is greater than high port 1024\n',
    ],
    [
      'an unreadable kubeconfig',
      { kubeconfig: '/nonexistent/kubeconfig' },
      /^portguard ranges export: cannot load kubeconfig: .*ENOENT/,
    ],
    [
      'an unknown context',
      { context: 'nope' },
      /^portguard ranges export: cannot load kubeconfig: no context "nope" in kubeconfig /,
    ],
  ])('exits 2 on %s, naming it', async (_name, opts, message) => {
    const kubeconfig = await cluster(opts.extra);
    const { code, out, err } = await exportRanges({
      kubeconfig: opts.kubeconfig ?? kubeconfig,
      ...(opts.context ? { context: opts.context } : {}),
    });
    expect(code).toBe(ExitCode.BadInput);
    expect(out).toBe('');
    if (typeof message === 'string') expect(err).toBe(message);
    else expect(err).toMatch(message);
  });

  it('exits 2 naming the object when the cluster refuses a read', async () => {
    const kubeconfig = await cluster();
    server!.failRequests('configmaps', 1, 403);
    const { code, err } = await exportRanges({ kubeconfig });
    expect(code).toBe(ExitCode.BadInput);
    expect(err).toBe(
      'portguard ranges export: cannot read ConfigMap infra/ranges: HTTP 403 (check --kubeconfig, --context and RBAC)\n',
    );
  });
});

describe('portguard check --kubeconfig', () => {
  const manifests = [
    // In w1's reported range (its reservation ends at 30100): denied on w1 only.
    'apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 32582}]}\n',
    '---\napiVersion: v1\nkind: Service\nmetadata: {name: ok, namespace: shop}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30050}]}\n',
  ].join('');

  async function check(opts: Record<string, string>) {
    const { s, io } = sink();
    writeFileSync(join(dir, 'svc.yaml'), manifests);
    const code = await runCheck({ paths: ['svc.yaml'], output: 'json', ...opts }, { ...io, scripts });
    return { code, ...s };
  }

  it('reads the node data live, report objects included, at the named location', async () => {
    const kubeconfig = await cluster();
    const { code, out, err } = await check({ kubeconfig, namespace: LOC.namespace, configmap: LOC.name });
    expect(err).toBe('');
    expect(code).toBe(ExitCode.Denied);
    const findings = JSON.parse(out).findings;
    expect(
      findings.map((f: { rule: string; name: string; nodes: string[] }) => [f.rule, f.name, f.nodes]),
    ).toEqual([
      ['nodeport-in-ephemeral-range', 'api', ['w1']],
      // w1's listener list was cut at the reporter's cap: a nodePort it does not show may be held.
      ['nodeport-host-listener-collision', 'api', ['w1']],
      ['nodeport-host-listener-collision', 'ok', ['w1']],
    ]);
  });

  it('finds what check --ranges of the export finds', async () => {
    const kubeconfig = await cluster();
    await exportRanges({ kubeconfig, output: 'export.yaml' });
    const live = await check({ kubeconfig, namespace: LOC.namespace, configmap: LOC.name });
    const file = await check({ ranges: 'export.yaml' });
    expect(file.code).toBe(live.code);
    expect(JSON.parse(file.out).findings).toEqual(JSON.parse(live.out).findings);
  });

  it('exits 2 on a bad report object, naming it', async () => {
    const kubeconfig = await cluster([reportObject(LOC, 'w3', { ipLocalPortRange: '60999 1024' })]);
    const { code, out, err } = await check({ kubeconfig, namespace: LOC.namespace, configmap: LOC.name });
    expect(code).toBe(ExitCode.BadInput);
    expect(JSON.parse(out).errors).toEqual([
      { message: expect.stringContaining('ConfigMap infra/ranges.w3: key "node.w3": ipLocalPortRange: ') },
    ]);
    expect(err).toContain('portguard check: ConfigMap infra/ranges.w3: key "node.w3": ipLocalPortRange: ');
  });

  it.each([
    [{ ranges: 'r.yaml', kubeconfig: 'k' }, 'use either --ranges FILE or --kubeconfig FILE, not both'],
    [{ namespace: 'infra', context: 'c' }, '--context, --namespace need --kubeconfig'],
  ])('usage errors exit 2: %o', async (opts, message) => {
    dir = mkTmp('pg-ranges-export-');
    const { code, err } = await check(opts);
    expect(code).toBe(ExitCode.BadInput);
    expect(err).toBe(`portguard check: ${message}\n`);
  });
});
