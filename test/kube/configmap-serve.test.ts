/**
 * `portguard serve --kubeconfig` looks ConfigMaps up for node-reaching pods and counts each
 * lookup in `portguard_configmap_lookups_total`; `--no-configmap-lookup` never reads one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runServe, type ServeFlags, type ServeOutcome } from '../../src/cli/serve-command.js';
import { generateCertificates } from '../../src/tls/generate.js';
import { writeCertificates } from '../../src/tls/write-certs.js';
import { type ListWatchServer, startListWatchServer } from '../support/list-watch-server.js';

const NS = 'node-tuning';

let cwd: string;
let server: ListWatchServer;
let outcome: ServeOutcome | undefined;

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'portguard-cmserve-'));
  await writeCertificates(
    path.join(cwd, 'certs'),
    await generateCertificates({ extraDnsNames: ['localhost'] }),
  );
  server = await startListWatchServer({
    seed: {
      nodes: [{ metadata: { name: 'a' } }],
      configmaps: [
        { metadata: { name: 'portguard-node-ranges', namespace: 'portguard-system' }, data: {} },
        {
          metadata: { name: 'tuning', namespace: NS },
          data: { s1: 'net.ipv4.ip_local_port_range=1024 65535' },
        },
      ],
    },
  });
});
afterEach(async () => {
  await outcome?.handle?.close();
  outcome = undefined;
  await server.close();
  await rm(cwd, { recursive: true, force: true });
});

async function serve(flags: Partial<ServeFlags>): Promise<NonNullable<ServeOutcome['handle']>> {
  const kubeconfig = path.join(cwd, 'kubeconfig');
  await writeFile(kubeconfig, server.kubeConfig().exportConfig());
  outcome = await runServe(
    { port: 0, healthPort: 0, host: '127.0.0.1', kubeconfig, ...flags },
    { stderr: () => {}, cwd, logger: pino({ level: 'silent' }) },
  );
  expect(outcome.code).toBe(0);
  return outcome.handle!;
}

const daemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'tuner', namespace: NS },
  spec: {
    selector: { matchLabels: { app: 'tuner' } },
    template: {
      metadata: { labels: { app: 'tuner' } },
      spec: {
        hostNetwork: true,
        initContainers: [
          {
            name: 'tune',
            image: 'busybox:1.36',
            command: ['sh', '-c', 'sysctl -w "$SYSCTL_1"'],
            env: [{ name: 'SYSCTL_1', valueFrom: { configMapKeyRef: { name: 'tuning', key: 's1' } } }],
          },
        ],
        containers: [{ name: 'app', image: 'app:1' }],
      },
    },
  },
};

const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u',
    kind: { group: 'apps', version: 'v1', kind: 'DaemonSet' },
    operation: 'CREATE',
    namespace: NS,
    name: 'tuner',
    object: daemonSet,
  },
};

const tuningGets = () =>
  server.requests.filter((r) => r.path === `/api/v1/namespaces/${NS}/configmaps/tuning`);

describe('serve --kubeconfig: ConfigMap lookup', () => {
  it.each([
    { flags: {}, gets: 1, metrics: ['found} 1', 'hit} 1'] },
    { flags: { configmapLookup: false }, gets: 0, metrics: [] },
  ])('flags $flags: $gets GET(s) for two identical reviews', async ({ flags, gets, metrics }) => {
    const handle = await serve(flags);
    for (let i = 0; i < 2; i++) {
      const res = await handle.app.inject({ method: 'POST', url: '/validate', payload: review });
      expect(res.statusCode).toBe(200);
    }
    expect(tuningGets()).toHaveLength(gets);
    const text = await (await fetch(`http://127.0.0.1:${handle.healthPort}/metrics`)).text();
    const lines = text.split('\n').filter((l) => l.startsWith('portguard_configmap_lookups_total{'));
    expect(lines.map((l) => l.replace(/^.*outcome="/, '').replace('"', ''))).toEqual(metrics);
  });
});
