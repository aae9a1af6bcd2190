/**
 * startServer over real HTTPS on loopback: a review round trip with undici trusting the
 * generated CA, certificate rotation while reviews are in flight (zero failures), the
 * plaintext health port, and a graceful close that lets an in-flight review finish.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import type { Reviewer } from '../../src/core/review.js';
import { createMetrics } from '../../src/server/metrics.js';
import { type ServerHandle, startServer } from '../../src/server/serve.js';
import { type CertificateBundle, generateCertificates } from '../../src/tls/generate.js';
import { writeCertificates } from '../../src/tls/write-certs.js';
import { type Json, loadFixture, recordingLogger, stateWith, WIDENED } from './helpers.js';

const loopback = { extraDnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
const review = loadFixture('validate-create-service-nodeport-explicit');
const denyAll: Reviewer = {
  review: () => {
    const f = {
      rule: 'nodeport-in-ephemeral-range' as const,
      severity: 'deny' as const,
      kind: 'Service',
      namespace: 'shop',
      name: 'web',
      path: 'spec.ports[0].nodePort',
      nodes: ['worker-1'],
      nodeCount: 1,
      message: 'nodePort 32582 is inside the ephemeral range of worker-1',
    };
    return { allowed: false, mode: 'enforce', findings: [f], denials: [f], exempted: [] };
  },
};

let first: CertificateBundle;
let second: CertificateBundle;
let dir: string;

beforeAll(async () => {
  [first, second] = await Promise.all([generateCertificates(loopback), generateCertificates(loopback)]);
});

async function start(reviewer: Reviewer, extra: { gracePeriodMs?: number } = {}): Promise<ServerHandle> {
  dir = await mkdtemp(path.join(tmpdir(), 'portguard-serve-'));
  const files = await writeCertificates(dir, first);
  const state = stateWith({ 'worker-1': WIDENED });
  return startServer({
    deps: {
      reviewer,
      getState: () => state,
      getPolicy: () => DEFAULT_POLICY,
      isReady: () => ({ ready: true, detail: {} }),
      metrics: createMetrics(),
      logger: recordingLogger().logger,
    },
    port: 0,
    host: '127.0.0.1',
    healthPort: 0,
    healthHost: '127.0.0.1',
    tls: { certFile: files.cert, keyFile: files.key },
    certPollIntervalMs: 50,
    ...extra,
  });
}

const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

/** The leaf a brand-new connection is served. */
function newConnectionCert(port: number, ca: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const cert = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

async function validate(port: number, dispatcher: Agent, body: unknown = review) {
  const res = await request(`https://127.0.0.1:${port}/validate?timeout=10s`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    dispatcher,
  });
  return { status: res.statusCode, body: (await res.body.json()) as Json };
}

describe('HTTPS server', () => {
  let handle: ServerHandle;
  afterAll(async () => {
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a review over TLS with the generated CA', async () => {
    handle = await start(denyAll);
    const agent = new Agent({ connect: { ca: first.caCert } });
    const { status, body } = await validate(handle.port, agent);
    expect(status).toBe(200);
    expect(body.response.uid).toBe(review.request.uid);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('32582');
    await agent.close();
  });

  it('refuses clients that do not trust the CA and TLS below 1.2', async () => {
    const untrusting = new Agent({ connect: { ca: second.caCert } });
    await expect(validate(handle.port, untrusting)).rejects.toThrow();
    await untrusting.close();
    const old = new Agent({ connect: { ca: first.caCert, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' } });
    await expect(validate(handle.port, old)).rejects.toThrow();
    await old.close();
  });

  it('serves probes and metrics in plaintext on the health port', async () => {
    const ready = await request(`http://127.0.0.1:${handle.healthPort}/readyz`);
    expect(ready.statusCode).toBe(200);
    await ready.body.dump();
    const metrics = await request(`http://127.0.0.1:${handle.healthPort}/metrics`);
    const text = await metrics.body.text();
    expect(text).toMatch(
      /portguard_admission_request_duration_seconds_count\{operation="validate",kind="Service",decision="denied"\} 1/,
    );
  });

  it('rotates the certificate during reviews with zero failed requests', async () => {
    const bothCas = [first.caCert, second.caCert];
    const keepAlive = new Agent({ connect: { ca: bothCas }, connections: 4 });
    const fresh = new Agent({ connect: { ca: bothCas }, pipelining: 0 });
    const failures: unknown[] = [];
    let ok = 0;
    let running = true;
    const loop = async (agent: Agent, reset: boolean) => {
      while (running) {
        try {
          const res = await request(`https://127.0.0.1:${handle.port}/validate?timeout=10s`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(review),
            dispatcher: agent,
            reset,
          });
          const body = (await res.body.json()) as Json;
          if (res.statusCode === 200 && body.response.uid === review.request.uid) ok++;
          else failures.push(res.statusCode);
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const loops = [loop(keepAlive, false), loop(keepAlive, false), loop(fresh, true), loop(fresh, true)];
    const waitFor = async (n: number) => {
      while (ok < n) await new Promise((r) => setTimeout(r, 5));
    };
    await waitFor(40);
    await writeCertificates(dir, second, { force: true });
    // The watcher reloads on the file events; the explicit reload stands in if they are slow.
    while ((await newConnectionCert(handle.port, bothCas)) !== fp(second.cert))
      await handle.reloadCertificates();
    const atReload = ok;
    await waitFor(atReload + 40);
    running = false;
    await Promise.all(loops);
    await keepAlive.close();
    await fresh.close();
    expect(failures).toEqual([]);

    // A brand-new connection that trusts only the new CA now succeeds, proving the swap.
    const onlyNew = new Agent({ connect: { ca: second.caCert } });
    const { status } = await validate(handle.port, onlyNew);
    expect(status).toBe(200);
    await onlyNew.close();
  });
});

describe('graceful close', () => {
  it('finishes an in-flight review, then refuses new connections', async () => {
    const handle = await start(denyAll, { gracePeriodMs: 5_000 });
    const agent = new Agent({ connect: { ca: first.caCert } });
    const payload = JSON.stringify(review);
    let bodySent = false;
    // The request is in flight (headers sent, body trickling) when close() starts: the rest
    // of the body is sent only once closing has begun.
    let closeStarted!: () => void;
    const closeStart = new Promise<void>((r) => {
      closeStarted = r;
    });
    async function* slowBody() {
      yield payload.slice(0, 100);
      await closeStart;
      yield payload.slice(100);
      bodySent = true;
    }
    // node parsed the headers: the review is in flight.
    const arrived = new Promise((r) => handle.app.server.once('request', r));
    const inflight = request(`https://127.0.0.1:${handle.port}/validate?timeout=10s`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(slowBody()),
      dispatcher: agent,
    });
    await arrived;
    const closing = handle.close();
    closeStarted();
    const res = await inflight;
    const body = (await res.body.json()) as Json;
    expect(bodySent).toBe(true);
    expect(res.statusCode).toBe(200);
    expect(body.response.uid).toBe(review.request.uid);
    await closing;
    const late = new Agent({ connect: { ca: first.caCert } });
    await expect(validate(handle.port, late)).rejects.toThrow();
    await Promise.all([agent.close(), late.close()]);
    await rm(dir, { recursive: true, force: true });
  });
});
