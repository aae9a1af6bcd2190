/**
 * `serve --kubeconfig` end to end: the per-namespace mode label `portguard.io/mode` comes
 * from the Namespace informer (AdmissionReviews carry no namespace labels), through the
 * deps runServe builds, into the review. The cluster is the local list/watch server.
 * The label is off by default, so the policy file here turns it on.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runServe, type ServeOutcome } from '../../src/cli/serve-command.js';
import { MODE_LABEL } from '../../src/core/policy.js';
import { tempCertificates } from '../hardening/helpers.js';
import { type Json, loadFixture, recordingLogger, WIDENED } from '../server/helpers.js';
import { type ListWatchServer, startListWatchServer, waitFor } from '../support/list-watch-server.js';

const CM = { name: 'portguard-node-ranges', namespace: 'portguard-system' };

let server: ListWatchServer;
let outcome: ServeOutcome | undefined;
let certs: Awaited<ReturnType<typeof tempCertificates>>;
let dir: string;
let agent: Agent;

beforeEach(async () => {
  server = await startListWatchServer({
    seed: {
      configmaps: [{ metadata: CM, data: { nodePortRange: '30000-32767', 'node.worker-1': WIDENED } }],
      nodes: [{ metadata: { name: 'worker-1', labels: {} } }],
      namespaces: [
        { metadata: { name: 'shop', labels: { [MODE_LABEL]: 'warn' } } },
        { metadata: { name: 'plain', labels: {} } },
      ],
    },
  });
  certs = await tempCertificates();
  dir = await mkdtemp(path.join(tmpdir(), 'portguard-nsmode-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, server.kubeConfig().exportConfig());
  const config = path.join(dir, 'policy.yaml');
  await writeFile(config, 'mode: enforce\nallowNamespaceModeLabel: true\n');
  let stderr = '';
  outcome = await runServe(
    { port: 0, healthPort: 0, host: '127.0.0.1', kubeconfig, config, tlsCert: certs.cert, tlsKey: certs.key },
    { stderr: (s) => (stderr += s), cwd: dir, logger: recordingLogger().logger },
  );
  if (!outcome.handle) throw new Error(`serve failed: ${stderr}`);
  agent = new Agent({ connect: { ca: [certs.bundle.caCert] } });
  const readyz = async () =>
    (await request(`http://127.0.0.1:${outcome!.handle!.healthPort}/readyz`)).statusCode === 200;
  await waitFor(readyz, 10_000, 'ready');
  await waitFor(() => server.watchCount('namespaces') === 1, 10_000, 'namespace watch open');
});

afterEach(async () => {
  await agent.close();
  await outcome?.handle?.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
  await rm(certs.dir, { recursive: true, force: true });
});

/** A Service asking for nodePort 32582, inside worker-1's widened ephemeral range. */
async function reviewIn(namespace: string): Promise<Json> {
  const review = structuredClone(loadFixture('validate-create-service-nodeport-explicit'));
  review.request.namespace = namespace;
  review.request.object.metadata.namespace = namespace;
  const res = await request(`https://127.0.0.1:${outcome!.handle!.port}/validate?timeout=10s`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(review),
    dispatcher: agent,
  });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as Json).response;
}

describe('serve --kubeconfig: namespace mode label', () => {
  it.each([
    ['a namespace labelled warn: admitted with a warning', 'shop', true],
    ['a namespace without the label: the policy mode (enforce) denies', 'plain', false],
    ['a namespace the informer has not seen: the policy mode', 'nowhere', false],
  ])('%s', async (_name, namespace, allowed) => {
    const response = await reviewIn(namespace);
    expect(response.allowed).toBe(allowed);
    if (allowed) expect((response.warnings ?? []).join('\n')).toContain('32582');
  });

  it('follows a label change on the Namespace watch', async () => {
    expect((await reviewIn('plain')).allowed).toBe(false);
    server.emit('namespaces', 'MODIFIED', { metadata: { name: 'plain', labels: { [MODE_LABEL]: 'audit' } } });
    await waitFor(async () => (await reviewIn('plain')).allowed === true, 10_000, 'audit mode applied');
    server.emit('namespaces', 'MODIFIED', { metadata: { name: 'plain', labels: {} } });
    await waitFor(async () => (await reviewIn('plain')).allowed === false, 10_000, 'label removed');
  });
});
