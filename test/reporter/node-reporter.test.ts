import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ReportNodeFlags, reportNode } from '../../src/cli/report-node-command.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { NodeReports } from '../../src/kube/node-reports.js';
import { parseDuration } from '../../src/reporter/duration.js';
import { createNodeReporter, runNodeReporter } from '../../src/reporter/node-reporter.js';
import { ProcReadError, readNodeSysctls } from '../../src/reporter/read-proc.js';
import {
  type ListWatchServer,
  recordingLogger,
  startListWatchServer,
  waitFor,
} from '../support/list-watch-server.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const NS = 'portguard-system';
const CM = 'portguard-node-ranges';

describe('readNodeSysctls', () => {
  it.each([
    ['proc-default', { ipLocalPortRange: '32768\t60999', ipLocalReservedPorts: '' }],
    ['proc-widened', { ipLocalPortRange: '1024\t65535', ipLocalReservedPorts: '30000-32767' }],
  ])('reads %s as the kernel prints it', async (dir, expected) => {
    expect(await readNodeSysctls(join(FIXTURES, dir))).toEqual(expected);
  });

  it.each([
    ['proc-bad-range', /unexpected value/],
    ['proc-missing', /cannot read .*ip_local_reserved_ports/],
    ['no-such-dir', /cannot read/],
  ])('rejects %s', async (dir, message) => {
    const err = await readNodeSysctls(join(FIXTURES, dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcReadError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['15', 15_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '0s', '-1s', '10 parsecs'])('rejects %j', (text) =>
    expect(() => parseDuration(text)).toThrow(),
  );
});

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
/** One /proc/net/tcp line: local port, remote port, state. */
function tcpLine(i: number, local: number, remote: number, state: string): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `   ${i}: 0100007F:${hex(local)} 0100007F:${hex(remote)} ${state} 00000000:00000000 00:00000000 00000000     0        0 ${1000 + i} 1 0000000000000000 100 0 0 10 0\n`;
}
async function writeSockets(proc: string, tcp: [number, number, string][]): Promise<void> {
  await mkdir(join(proc, 'net'), { recursive: true });
  await writeFile(join(proc, 'net', 'tcp'), HEADER + tcp.map((t, i) => tcpLine(i, ...t)).join(''));
  await writeFile(join(proc, 'net', 'udp'), HEADER);
}

describe('node reporter against a list/watch server', () => {
  let server: ListWatchServer;
  let proc: string;
  let clock: number;
  const REPORT = `${CM}.worker-1`;

  beforeEach(async () => {
    server = await startListWatchServer({
      seed: {
        nodes: [{ metadata: { name: 'worker-1', uid: 'uid-1', labels: { pool: 'general' } } }],
        configmaps: [{ metadata: { name: CM, namespace: NS }, data: { nodePortRange: '30000-32767' } }],
      },
    });
    proc = await mkdtemp(join(tmpdir(), 'portguard-proc-'));
    await cp(join(FIXTURES, 'proc-default'), proc, { recursive: true });
    // A listener on 22 and on NodePort 30080; one outgoing connection from NodePort 31000.
    await writeSockets(proc, [
      [22, 0, '0A'],
      [30080, 0, '0A'],
      [31000, 443, '01'],
    ]);
    clock = 0;
  });

  afterEach(async () => {
    await server.close();
    await rm(proc, { recursive: true, force: true });
  });

  const reporter = () =>
    createNodeReporter({
      kubeConfig: server.kubeConfig(),
      nodeName: 'worker-1',
      namespace: NS,
      configMapName: CM,
      procRoot: proc,
      nodePortRange: { lo: 30000, hi: 32767 },
      resyncMs: 600_000,
      logger: recordingLogger(),
      now: () => clock,
    });
  const writes = () => server.requests.filter((r) => r.method === 'PATCH' || r.method === 'POST');
  const entry = () => JSON.parse(server.get('configmaps', REPORT, NS).data[`node.worker-1`]);

  it('creates its own report object, labelled and owned by its Node, and never touches the ranges ConfigMap', async () => {
    const outcome = await reporter().report();
    expect(outcome).toMatchObject({ written: true, object: REPORT });
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /api/v1/namespaces/${NS}/configmaps/${REPORT}`, // 404: not there yet
      `POST /api/v1/namespaces/${NS}/configmaps`,
    ]);
    const obj = server.get('configmaps', REPORT, NS);
    expect(obj.metadata.labels).toEqual({ 'portguard.io/node-report': 'v1' });
    expect(obj.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: 'worker-1', uid: 'uid-1' },
    ]);
    expect(Object.keys(obj.data)).toEqual(['node.worker-1']);
    expect(entry()).toEqual({
      ipLocalPortRange: '32768\t60999',
      ipLocalReservedPorts: '',
      listeners: { tcp: '22,30080', udp: '' },
      nodePortSourcePorts: { range: '30000-32767', count: 1 },
    });
    expect(server.get('configmaps', CM, NS).data).toEqual({ nodePortRange: '30000-32767' });
    // What it wrote parses cleanly as the server reads reports.
    const reports = new NodeReports(CM);
    reports.replaceAll([obj], parseNodeRanges({}).ranges.defaultProfile);
    expect(reports.errors()).toEqual([]);
    expect(reports.nodes().get('worker-1')?.evidence?.listeners?.tcp?.toString()).toBe('22,30080');
  });

  it('writes again when the sysctls or the listeners change, and not while nothing changes', async () => {
    const r = reporter();
    expect((await r.report()).written).toBe(true);
    expect((await r.report()).written).toBe(false);
    await cp(join(FIXTURES, 'proc-widened'), proc, { recursive: true });
    expect((await r.report()).written).toBe(true);
    expect(entry()).toMatchObject({ ipLocalPortRange: '1024\t65535', ipLocalReservedPorts: '30000-32767' });
    await writeSockets(proc, [
      [22, 0, '0A'],
      [31000, 443, '01'],
    ]);
    expect((await r.report()).written).toBe(true);
    expect(entry().listeners).toEqual({ tcp: '22', udp: '' });
    expect((await r.report()).written).toBe(false);
    // After the create, every write is one merge patch of the report object.
    expect(
      writes()
        .slice(2)
        .every((w) => w.contentType === 'application/merge-patch+json'),
    ).toBe(true);
  });

  it.each([
    ['the count moves (3 → 5): held until the resync', [3, 5], false],
    ['the count crosses zero (3 → 0): written at once', [3, 0], true],
    ['the count crosses zero (0 → 2): written at once', [0, 2], true],
  ])('%s', async (_what, [before, after], immediate) => {
    const connections = (n: number): [number, number, string][] =>
      Array.from({ length: n }, (_, i) => [31000 + i, 443, '01']);
    await writeSockets(proc, connections(before!));
    const r = reporter();
    await r.report();
    await writeSockets(proc, connections(after!));
    clock = 60_000;
    expect((await r.report()).written).toBe(immediate);
    expect(entry().nodePortSourcePorts.count).toBe(immediate ? after : before);
    clock = 600_000;
    await r.report();
    expect(entry().nodePortSourcePorts.count).toBe(after);
  });

  it('recreates its report at the next resync when someone deleted it', async () => {
    const r = reporter();
    await r.report();
    server.emit('configmaps', 'DELETED', server.get('configmaps', REPORT, NS));
    expect((await r.report()).written).toBe(false);
    clock = 600_000;
    expect((await r.report()).written).toBe(true);
    expect(entry().listeners.tcp).toBe('22,30080');
  });

  it('writes without an owner when it cannot read its Node, and still writes', async () => {
    server.failRequests('nodes', 1);
    await reporter().report();
    expect(server.get('configmaps', REPORT, NS).metadata.ownerReferences).toBeUndefined();
  });

  it('does not write a value the server would reject', async () => {
    await cp(join(FIXTURES, 'proc-bad-range'), proc, { recursive: true });
    await expect(reporter().report()).rejects.toBeInstanceOf(ProcReadError);
    expect(writes()).toEqual([]);
  });

  it('reports sysctls alone when the socket tables cannot be read (evidence unknown, not empty)', async () => {
    await rm(join(proc, 'net'), { recursive: true });
    await reporter().report();
    expect(entry()).toEqual({ ipLocalPortRange: '32768\t60999', ipLocalReservedPorts: '' });
  });

  it('polls until aborted and survives a failed round', async () => {
    const logger = recordingLogger();
    const controller = new AbortController();
    server.failRequests('configmaps', 1);
    const loop = runNodeReporter(reporter(), 20, controller.signal, logger);
    await waitFor(
      () => server.get('configmaps', REPORT, NS) !== undefined,
      5000,
      'first write after a failed round',
    );
    expect(logger.records.some((r) => r.level === 'error')).toBe(true);
    await writeFile(join(proc, 'sys/net/ipv4/ip_local_reserved_ports'), '31000-31999\n');
    await waitFor(() => entry().ipLocalReservedPorts === '31000-31999', 5000, 'write after change');
    controller.abort();
    await loop;
  });

  it('runs as the report-node command with --once and a kubeconfig file', async () => {
    const kubeconfig = join(proc, 'kubeconfig');
    await writeFile(kubeconfig, server.kubeConfig().exportConfig());
    const flags: ReportNodeFlags = {
      nodeName: 'worker-1',
      namespace: NS,
      configmap: CM,
      kubeconfig,
      proc,
      interval: '30s',
      resync: '10m',
      nodePortRange: '30000-32767',
      once: true,
    };
    const logger = recordingLogger();
    const signal = new AbortController().signal;
    expect(await reportNode(flags, logger, signal)).toBe(0);
    expect(entry().nodePortSourcePorts).toEqual({ range: '30000-32767', count: 1 });
    expect(await reportNode({ ...flags, nodeName: undefined }, logger, signal)).toBe(2);
    for (const bad of [{ nodePortRange: '30000' }, { resync: 'soon' }, { interval: '0s' }]) {
      const records = recordingLogger();
      expect(await reportNode({ ...flags, ...bad }, records, signal)).toBe(2);
      const flag = Object.keys(bad)[0] === 'nodePortRange' ? '--node-port-range' : `--${Object.keys(bad)[0]}`;
      expect(records.records.at(-1)?.obj).toEqual({ flag });
    }
    // A node name too long for a report object name is refused before anything is written.
    expect(await reportNode({ ...flags, nodeName: 'n'.repeat(240) }, logger, signal)).toBe(2);
  });
});
