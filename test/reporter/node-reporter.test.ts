import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ReportNodeFlags, reportNode } from '../../src/cli/report-node-command.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
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

describe('node reporter against a list/watch server', () => {
  let server: ListWatchServer;
  let proc: string;

  beforeEach(async () => {
    server = await startListWatchServer({
      seed: {
        nodes: [{ metadata: { name: 'worker-1', labels: { pool: 'general' } } }],
        configmaps: [
          {
            metadata: { name: CM, namespace: NS },
            data: { nodePortRange: '30000-32767', 'node.worker-2': '{"ipLocalPortRange": "32768 60999"}' },
          },
        ],
      },
    });
    proc = await mkdtemp(join(tmpdir(), 'portguard-proc-'));
    await cp(join(FIXTURES, 'proc-default'), proc, { recursive: true });
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
      logger: recordingLogger(),
    });
  const patches = () => server.requests.filter((r) => r.method === 'PATCH');
  const data = () => server.get('configmaps', CM, NS).data as Record<string, string>;

  it('writes only its own key, with a merge patch, in the ConfigMap contract format', async () => {
    const outcome = await reporter().report();
    expect(outcome.written).toBe(true);
    expect(patches()).toHaveLength(1);
    const patch = patches()[0]!;
    expect(patch.contentType).toBe('application/merge-patch+json');
    expect(patch.path).toBe(`/api/v1/namespaces/${NS}/configmaps/${CM}`);
    expect(Object.keys(patch.body)).toEqual(['data']);
    expect(Object.keys(patch.body.data)).toEqual(['node.worker-1']);
    // The other keys are untouched.
    expect(data()['node.worker-2']).toBe('{"ipLocalPortRange": "32768 60999"}');
    expect(data()['nodePortRange']).toBe('30000-32767');
    // And the server parses what was written without errors.
    const parsed = parseNodeRanges(data());
    expect(parsed.errors).toEqual([]);
    expect(parsed.ranges.nodes.get('worker-1')).toMatchObject({
      labels: { pool: 'general' },
      profile: { ephemeral: { lo: 32768, hi: 60999 } },
    });
  });

  it('does not write again while nothing changes, and writes when the sysctls or labels change', async () => {
    const r = reporter();
    expect((await r.report()).written).toBe(true);
    expect((await r.report()).written).toBe(false);
    expect(patches()).toHaveLength(1);

    await cp(join(FIXTURES, 'proc-widened'), proc, { recursive: true });
    expect((await r.report()).written).toBe(true);
    expect(JSON.parse(data()['node.worker-1']!)).toMatchObject({
      ipLocalPortRange: '1024\t65535',
      ipLocalReservedPorts: '30000-32767',
    });

    server.emit('nodes', 'MODIFIED', { metadata: { name: 'worker-1', labels: { pool: 'batch' } } });
    expect((await r.report()).written).toBe(true);
    expect(JSON.parse(data()['node.worker-1']!).labels).toEqual({ pool: 'batch' });
    expect((await r.report()).written).toBe(false);
    expect(patches()).toHaveLength(3);
  });

  it('does not write a value the server would reject', async () => {
    await cp(join(FIXTURES, 'proc-bad-range'), proc, { recursive: true });
    await expect(reporter().report()).rejects.toBeInstanceOf(ProcReadError);
    expect(patches()).toEqual([]);
  });

  it('polls until aborted and survives a failed round', async () => {
    const logger = recordingLogger();
    const controller = new AbortController();
    server.failRequests('nodes', 1);
    const loop = runNodeReporter(reporter(), 20, controller.signal, logger);
    await waitFor(() => patches().length === 1, 5000, 'first write after a failed round');
    expect(logger.records.some((r) => r.level === 'error')).toBe(true);
    await writeFile(join(proc, 'sys/net/ipv4/ip_local_reserved_ports'), '31000-31999\n');
    await waitFor(() => patches().length === 2, 5000, 'write after change');
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
      once: true,
    };
    const logger = recordingLogger();
    expect(await reportNode(flags, logger, new AbortController().signal)).toBe(0);
    expect(patches()).toHaveLength(1);
    expect(await reportNode({ ...flags, nodeName: undefined }, logger, new AbortController().signal)).toBe(2);
    expect(await reportNode({ ...flags, configmap: 'missing' }, logger, new AbortController().signal)).toBe(
      2,
    );
  });
});
