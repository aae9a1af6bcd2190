/**
 * `portguard serve` wiring through runServe: --dev on an empty directory (certs are
 * generated, the printed curl command works), --ranges, and exit 2 on bad input.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runServe, type ServeFlags, type ServeOutcome } from '../../src/cli/serve-command.js';
import { type Json, recordingLogger, repoRoot } from './helpers.js';

let cwd: string;
let stderr: string;
let outcome: ServeOutcome | undefined;

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'portguard-cli-'));
  stderr = '';
  outcome = undefined;
});
afterEach(async () => {
  await outcome?.handle?.close();
  await rm(cwd, { recursive: true, force: true });
});

async function serve(flags: Partial<ServeFlags>): Promise<ServeOutcome> {
  outcome = await runServe(
    { port: 0, healthPort: 0, host: '127.0.0.1', ...flags },
    { stderr: (s) => (stderr += s), cwd, logger: recordingLogger().logger },
  );
  return outcome;
}

async function postSample(port: number, caFile: string): Promise<Json> {
  const agent = new Agent({ connect: { ca: await readFile(caFile, 'utf8') } });
  const res = await request(`https://127.0.0.1:${port}/validate?timeout=10s`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: await readFile(path.join(repoRoot, 'examples/sample-review.json')),
    dispatcher: agent,
  });
  const body = (await res.body.json()) as Json;
  await agent.close();
  return body;
}

describe('serve --dev', () => {
  it('generates certificates, prints a curl command, and denies the sample review', async () => {
    const { code, handle } = await serve({ dev: true });
    expect(code).toBe(0);
    expect(existsSync(path.join(cwd, 'certs/tls.crt'))).toBe(true);
    expect(stderr).toContain(
      `curl --cacert certs/ca.crt -H 'Content-Type: application/json' --data @examples/sample-review.json https://localhost:${handle!.port}/validate?timeout=10s`,
    );
    const body = await postSample(handle!.port, path.join(cwd, 'certs/ca.crt'));
    expect(body.response.uid).toBe('00000000-0000-4000-8000-000000000001');
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('32582');
  });

  it('reuses existing certificates and the examples/ ranges', async () => {
    await serve({ dev: true });
    const first = await readFile(path.join(cwd, 'certs/tls.crt'), 'utf8');
    await outcome!.handle!.close();
    await mkdir(path.join(cwd, 'examples'));
    await copyFile(
      path.join(repoRoot, 'examples/node-ranges.yaml'),
      path.join(cwd, 'examples/node-ranges.yaml'),
    );
    stderr = '';
    const { handle } = await serve({ dev: true });
    expect(await readFile(path.join(cwd, 'certs/tls.crt'), 'utf8')).toBe(first);
    expect(stderr).not.toContain('embedded');
    const ready = await request(`http://127.0.0.1:${handle!.healthPort}/readyz`);
    expect(((await ready.body.json()) as Json).source).toContain('node-ranges.yaml');
  });
});

describe('serve --ranges', () => {
  async function withCerts() {
    await serve({ dev: true });
    await outcome!.handle!.close();
    outcome = undefined;
  }

  it('serves a ConfigMap file as static state', async () => {
    await withCerts();
    await writeFile(path.join(cwd, 'ranges.yaml'), 'node.worker-1: \'{"ipLocalPortRange": "1024 65535"}\'\n');
    const { code, handle } = await serve({ ranges: 'ranges.yaml' });
    expect(code).toBe(0);
    const body = await postSample(handle!.port, path.join(cwd, 'certs/ca.crt'));
    expect(body.response.allowed).toBe(false);
  });

  it('remembers assigned nodePorts: two safe ports, three creates before any is stored', async () => {
    await withCerts();
    // Every node's ephemeral range starts at 30002: only 30000 and 30001 are safe.
    await writeFile(path.join(cwd, 'ranges.yaml'), 'default: \'{"ipLocalPortRange": "30002 60999"}\'\n');
    const { handle } = await serve({ ranges: 'ranges.yaml' });
    const create = async (name: string) => {
      const res = await handle!.app.inject({
        method: 'POST',
        url: '/mutate',
        headers: { 'content-type': 'application/json' },
        payload: {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: `uid-${name}`,
            kind: { group: '', version: 'v1', kind: 'Service' },
            operation: 'CREATE',
            namespace: 'apps',
            object: {
              kind: 'Service',
              metadata: { name },
              spec: { type: 'NodePort', ports: [{ port: 80 }] },
            },
          },
        },
      });
      const patch = (res.json() as Json).response.patch;
      return patch ? JSON.parse(Buffer.from(patch, 'base64').toString('utf8'))[0].value : undefined;
    };
    const ports = [await create('a'), await create('b'), await create('c')];
    expect(ports.slice(0, 2).sort()).toEqual([30000, 30001]);
    expect(ports[2]).toBeUndefined();
    const metrics = await handle!.healthApp!.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^portguard_reserved_nodeports 2$/m);
  });

  it.each([
    [
      'a bad node entry',
      { ranges: 'bad.yaml' },
      'node.worker-1: \'{"ipLocalPortRange": "9 2"}\'\n',
      /node\.worker-1/,
    ],
    ['a missing ranges file', { ranges: 'nope.yaml' }, undefined, /nope\.yaml/],
    ['no state at all', {}, undefined, /--kubeconfig/],
    ['both sources', { ranges: 'x', kubeconfig: 'y' }, undefined, /either --ranges or --kubeconfig/],
    ['a bad policy', { ranges: 'bad.yaml', config: 'policy.yaml' }, "default: '{}'\n", /policy/],
    [
      'missing TLS files',
      { ranges: 'bad.yaml', tlsCert: 'x.crt', tlsKey: 'x.key' },
      "default: '{}'\n",
      /x\.crt/,
    ],
  ])('exits 2 on %s', async (_label, flags, rangesText, message) => {
    await withCerts();
    if (rangesText) await writeFile(path.join(cwd, 'bad.yaml'), rangesText);
    await writeFile(path.join(cwd, 'policy.yaml'), 'mode: sometimes\n');
    const { code, handle } = await serve(flags);
    expect(handle).toBeUndefined();
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
