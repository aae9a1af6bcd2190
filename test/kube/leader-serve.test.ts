/**
 * `portguard serve --kubeconfig` wires leader election and pruning end to end: two real
 * servers against the local list/watch server, identities as the downward API would
 * give them. The leader prunes keys of deleted nodes; closing it (what SIGTERM does)
 * releases the Lease to the other replica. Also the flag errors (exit 2).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runServe, type ServeFlags, type ServeOutcome } from '../../src/cli/serve-command.js';
import { LEADER_LEASE_NAME } from '../../src/kube/leader-election.js';
import { generateCertificates } from '../../src/tls/generate.js';
import { writeCertificates } from '../../src/tls/write-certs.js';
import { type ListWatchServer, startListWatchServer, waitFor } from '../support/list-watch-server.js';

const NS = 'portguard-system';
const CM = 'portguard-node-ranges';

let cwd: string;
let server: ListWatchServer | undefined;
const outcomes: ServeOutcome[] = [];
let stderr = '';

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'portguard-leader-'));
  await writeCertificates(
    path.join(cwd, 'certs'),
    await generateCertificates({ extraDnsNames: ['localhost'] }),
  );
  stderr = '';
});
afterEach(async () => {
  await Promise.all(outcomes.splice(0).map((o) => o.handle?.close()));
  await server?.close();
  server = undefined;
  await rm(cwd, { recursive: true, force: true });
});

async function serve(identity: string, flags: Partial<ServeFlags> = {}): Promise<ServeOutcome> {
  const outcome = await runServe(
    { port: 0, healthPort: 0, host: '127.0.0.1', ...flags },
    {
      stderr: (s) => (stderr += s),
      cwd,
      logger: pino({ level: 'silent' }),
      identity,
      election: { leaseDurationSeconds: 1, renewDeadlineSeconds: 0.6, retryPeriodSeconds: 0.05 },
    },
  );
  outcomes.push(outcome);
  return outcome;
}

async function kubeconfigFile(s: ListWatchServer): Promise<string> {
  const file = path.join(cwd, 'kubeconfig');
  await writeFile(file, s.kubeConfig().exportConfig());
  return file;
}

/** This replica's `portguard_leader` value from its plaintext /metrics. */
async function leaderGauge(o: ServeOutcome): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${o.handle!.healthPort}/metrics`)).text();
  return /^portguard_leader (\d+)$/m.exec(text)?.[1];
}

const holder = () => server!.get('leases', LEADER_LEASE_NAME, NS)?.spec.holderIdentity as string | undefined;
const nodeKeys = () =>
  Object.keys(server!.get('configmaps', CM, NS).data)
    .filter((k) => k.startsWith('node.'))
    .sort();

describe('serve --kubeconfig: leader-only pruning', () => {
  it('the leader prunes keys of deleted nodes; closing it hands the Lease over', async () => {
    server = await startListWatchServer({
      seed: {
        nodes: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }],
        configmaps: [
          {
            metadata: { name: CM, namespace: NS },
            data: { nodePortRange: '30000-32767', 'node.a': '{}', 'node.b': '{}', 'node.gone': '{}' },
          },
        ],
      },
    });
    const kubeconfig = await kubeconfigFile(server);
    const a = await serve('pod-a', { kubeconfig, pruneNodeKeys: true });
    const b = await serve('pod-b', { kubeconfig, pruneNodeKeys: true });
    expect([a.code, b.code]).toEqual([0, 0]);

    // On gaining leadership, once the Node informer has synced.
    await waitFor(() => nodeKeys().join() === 'node.a,node.b', 10_000, 'node.gone pruned');
    const leaderId = holder();
    expect(['pod-a', 'pod-b']).toContain(leaderId);

    // A Node deletion is noticed through the informer.
    server.emit('nodes', 'DELETED', { metadata: { name: 'b' } });
    await waitFor(() => nodeKeys().join() === 'node.a', 10_000, 'node.b pruned');
    // Admission never writes; the only writes are the Lease and the two prunes.
    const writes = server.requests.filter((r) => r.method !== 'GET');
    expect(writes.filter((r) => !r.path.includes('/leases'))).toHaveLength(2);

    const [leader, other] = leaderId === 'pod-a' ? [a, b] : [b, a];
    expect(await leaderGauge(leader)).toBe('1');
    expect(await leaderGauge(other)).toBe('0');
    await leader.handle!.close();
    await waitFor(() => holder() === (leaderId === 'pod-a' ? 'pod-b' : 'pod-a'), 10_000, 'hand-over');
    expect(other.handle).toBeDefined();
    await waitFor(
      async () => (await leaderGauge(other)) === '1',
      10_000,
      'portguard_leader 1 on the new leader',
    );
  });

  it.each([
    ['--no-prune-node-keys', false],
    ['in-process callers such as `portguard dev` (unset)', undefined],
  ])('%s and no audit: nothing to lead, no Lease, no writes', async (_name, pruneNodeKeys) => {
    server = await startListWatchServer({
      seed: {
        nodes: [{ metadata: { name: 'a' } }],
        configmaps: [{ metadata: { name: CM, namespace: NS }, data: { 'node.gone': '{}' } }],
      },
    });
    const { code, handle } = await serve('pod-a', {
      kubeconfig: await kubeconfigFile(server),
      ...(pruneNodeKeys === undefined ? {} : { pruneNodeKeys }),
    });
    expect(code).toBe(0);
    // Closing stops leader jobs first and waits for the Lease request an election would have
    // in flight (its first one is sent at start), so whatever serve began has reached the server.
    await handle!.close();
    expect(server.requests.filter((r) => r.method !== 'GET' || r.path.includes('/leases'))).toEqual([]);
    expect(nodeKeys()).toEqual(['node.gone']);
  });
});

describe('serve --namespace/--configmap', () => {
  it('watches the named ConfigMap and takes the Lease in that namespace', async () => {
    server = await startListWatchServer({
      seed: {
        nodes: [{ metadata: { name: 'a' } }],
        configmaps: [
          { metadata: { name: 'ranges', namespace: 'infra' }, data: { 'node.a': '{}', 'node.gone': '{}' } },
          { metadata: { name: CM, namespace: NS }, data: { 'node.gone': '{}' } },
        ],
      },
    });
    const o = await serve('pod-a', {
      kubeconfig: await kubeconfigFile(server),
      pruneNodeKeys: true,
      namespace: 'infra',
      configmap: 'ranges',
    });
    expect(o.code).toBe(0);
    const keys = (ns: string, name: string) => Object.keys(server!.get('configmaps', name, ns).data).sort();
    await waitFor(
      () => keys('infra', 'ranges').join() === 'node.a',
      10_000,
      'node.gone pruned in infra/ranges',
    );
    expect(server.get('leases', LEADER_LEASE_NAME, 'infra')?.spec.holderIdentity).toBe('pod-a');
    expect(server.get('leases', LEADER_LEASE_NAME, NS)).toBeUndefined();
    // The default ConfigMap is neither watched nor written.
    expect(keys(NS, CM)).toEqual(['node.gone']);
  });

  it('the periodic audit reads the named ConfigMap and the report objects beside it', async () => {
    server = await startListWatchServer({
      seed: {
        nodes: [{ metadata: { name: 'a' } }],
        configmaps: [
          { metadata: { name: 'ranges', namespace: 'infra' }, data: {} },
          { metadata: { name: CM, namespace: NS }, data: {} },
        ],
      },
    });
    const o = await serve('pod-a', {
      kubeconfig: await kubeconfigFile(server),
      namespace: 'infra',
      configmap: 'ranges',
      auditInterval: '100ms',
    });
    expect(o.code).toBe(0);
    // Only the audit GETs the ConfigMap by name (the informer lists and watches it).
    const audited = () =>
      server!.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/configmaps/ranges'));
    await waitFor(() => audited().length > 0, 10_000, 'an audit run');
    expect(audited().map((r) => r.path)).toContain('/api/v1/namespaces/infra/configmaps/ranges');
    const reportLists = server.requests.filter(
      (r) => r.query['labelSelector'] === 'portguard.io/node-report=v1' && r.query['watch'] !== 'true',
    );
    expect(new Set(reportLists.map((r) => r.path))).toEqual(new Set(['/api/v1/namespaces/infra/configmaps']));
    expect(server.requests.filter((r) => r.path.includes(`/namespaces/${NS}/`))).toEqual([]);
  });
});

describe('serve: leader flag errors exit 2', () => {
  it.each([
    [
      '--audit-interval without --kubeconfig',
      { ranges: 'x.yaml', auditInterval: '10m' },
      /--audit-interval needs --kubeconfig/,
    ],
    [
      'a bad --audit-interval',
      { kubeconfig: 'k', auditInterval: 'often' },
      /--audit-interval: invalid duration "often"/,
    ],
    [
      '--configmap without --kubeconfig',
      { ranges: 'x.yaml', configmap: 'r' },
      /--configmap needs --kubeconfig/,
    ],
    [
      'a bad --prune-interval',
      { kubeconfig: 'k', pruneNodeKeys: true, pruneInterval: '0s' },
      /--prune-interval: duration "0s" must be positive/,
    ],
  ])('%s', async (_name, flags, message) => {
    const { code } = await serve('pod-a', flags);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
