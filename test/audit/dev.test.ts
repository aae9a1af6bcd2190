import { X509Certificate } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type DevSession, runDev } from '../../src/cli/dev-command.js';
import { buildDevWebhooks, DEV_WEBHOOK_NAME, webhookUrl } from '../../src/cli/dev-webhooks.js';
import { type ListWatchServer, startListWatchServer } from '../support/list-watch-server.js';
import { KERNEL } from './cluster-fixtures.js';

const AR = 'admissionregistration.k8s.io/v1';

describe('buildDevWebhooks', () => {
  const { validating, mutating } = buildDevWebhooks({ host: '10.0.0.5', port: 9443, caBundle: 'Q0E=' });

  it.each([
    {
      cfg: validating,
      kind: 'ValidatingWebhookConfiguration',
      url: 'https://10.0.0.5:9443/validate',
      extra: ['pods/ephemeralcontainers'],
    },
    { cfg: mutating, kind: 'MutatingWebhookConfiguration', url: 'https://10.0.0.5:9443/mutate', extra: [] },
  ])('$kind calls $url with the dev CA and fails open', ({ cfg, kind, url, extra }) => {
    expect(cfg.kind).toBe(kind);
    expect(cfg.apiVersion).toBe(AR);
    expect(cfg.metadata.name).toBe(DEV_WEBHOOK_NAME);
    const [hook] = cfg.webhooks;
    expect(hook!.clientConfig).toEqual({ url, caBundle: 'Q0E=' });
    expect(hook).toMatchObject({
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Ignore',
      timeoutSeconds: 5,
    });
    expect(hook!.rules.flatMap((r) => r.resources).sort()).toEqual(
      [
        'cronjobs',
        'daemonsets',
        'deployments',
        'jobs',
        'pods',
        'replicasets',
        'replicationcontrollers',
        'services',
        'statefulsets',
        ...extra,
      ].sort(),
    );
    expect(hook!.namespaceSelector.matchExpressions[0]!.values).toEqual(['portguard-system', 'kube-system']);
  });

  it.each([
    ['10.0.0.5', 'https://10.0.0.5:8443/validate'],
    ['host.docker.internal', 'https://host.docker.internal:8443/validate'],
    ['fd00::1', 'https://[fd00::1]:8443/validate'],
  ])('webhookUrl(%s)', (host, want) => {
    expect(webhookUrl(host, 8443, '/validate')).toBe(want);
  });
});

function post(
  url: string,
  ca: string,
  body: unknown,
): Promise<{ status: number; json: { response?: { uid?: string } } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('portguard dev against a fake apiserver', () => {
  let server: ListWatchServer | undefined;
  let session: DevSession | undefined;
  afterEach(async () => {
    await session?.stop();
    await server?.close();
    session = undefined;
    server = undefined;
  });

  async function start(seedLeftover = false) {
    server = await startListWatchServer({
      seed: {
        configmaps: [
          {
            metadata: { namespace: 'portguard-system', name: 'portguard-node-ranges' },
            data: { default: KERNEL },
          },
        ],
        [`${AR}/validatingwebhookconfigurations`]: seedLeftover
          ? [{ metadata: { name: DEV_WEBHOOK_NAME }, webhooks: [] }]
          : [],
      },
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'pg-dev-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, server.kubeConfig().exportConfig());
    const err: string[] = [];
    const result = await runDev(
      { kubeconfig, port: 0, host: '127.0.0.1' },
      { stderr: (s) => err.push(s), cwd: dir, logger: pino({ level: 'silent' }) },
    );
    if ('code' in result) throw new Error(`runDev failed: ${err.join('')}`);
    session = result;
    return { server, session: result, err };
  }

  it('registers URL-based webhooks with its own CA, serves them over HTTPS, and removes them on stop', async () => {
    const { server, session } = await start();
    const validating = server.get(`${AR}/validatingwebhookconfigurations`, DEV_WEBHOOK_NAME);
    const mutating = server.get(`${AR}/mutatingwebhookconfigurations`, DEV_WEBHOOK_NAME);
    const url = validating.webhooks[0].clientConfig.url;
    expect(url).toBe(`https://127.0.0.1:${session.handle.port}/validate`);
    expect(mutating.webhooks[0].clientConfig.url).toBe(`https://127.0.0.1:${session.handle.port}/mutate`);
    const ca = Buffer.from(validating.webhooks[0].clientConfig.caBundle, 'base64').toString();
    expect(new X509Certificate(ca).ca).toBe(true);
    // The apiserver's view: the URL answers over TLS verified with exactly that caBundle.
    const reply = await post(`${url}?timeout=5s`, ca, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'dev-1',
        kind: { group: '', version: 'v1', kind: 'ConfigMap' },
        resource: { group: '', version: 'v1', resource: 'configmaps' },
        operation: 'CREATE',
        namespace: 'default',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.json.response?.uid).toBe('dev-1');

    await session.stop();
    expect(server.get(`${AR}/validatingwebhookconfigurations`, DEV_WEBHOOK_NAME)).toBeUndefined();
    expect(server.get(`${AR}/mutatingwebhookconfigurations`, DEV_WEBHOOK_NAME)).toBeUndefined();
    await expect(post(url, ca, {})).rejects.toThrow();
  });

  it('replaces a configuration left behind by a killed session', async () => {
    const { server, session } = await start(true);
    const validating = server.get(`${AR}/validatingwebhookconfigurations`, DEV_WEBHOOK_NAME);
    expect(validating.webhooks[0].clientConfig.url).toBe(`https://127.0.0.1:${session.handle.port}/validate`);
  });
});
