import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import Fastify from 'fastify';
import { generate } from 'selfsigned';
import { Agent, request } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CertificateBundle, generateCertificates } from '../../src/tls/generate.js';
import {
  type CertificateWatcher,
  loadTlsOptions,
  tlsOptions,
  watchCertificates,
} from '../../src/tls/reloading-context.js';
import { writeCertificates } from '../../src/tls/write-certs.js';

const loopback = { extraDnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
let first: CertificateBundle;
let second: CertificateBundle;

beforeAll(async () => {
  [first, second] = await Promise.all([generateCertificates(loopback), generateCertificates(loopback)]);
});

const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

/** Open a fresh TLS connection and report the certificate the server presents. */
function newConnectionCert(port: number, ca: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/', method: 'GET', ca, agent: false },
      (res) => {
        const peer = (res.socket as tls.TLSSocket).getPeerCertificate();
        res.resume();
        res.on('end', () => resolve(peer.fingerprint256));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error('timed out waiting'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

// fastify's https overload types `app.server` as https.Server, which is what the watcher needs.
const httpsApp = (files: { certFile: string; keyFile: string }) => Fastify({ https: loadTlsOptions(files) });

describe('reloading TLS context on a real fastify HTTPS server', () => {
  let dir: string;
  let app: ReturnType<typeof httpsApp>;
  let watcher: CertificateWatcher;
  let port: number;
  const reloads: number[] = [];
  const errors: Error[] = [];

  beforeEach(async () => {
    reloads.length = 0;
    errors.length = 0;
    dir = await mkdtemp(join(tmpdir(), 'portguard-reload-'));
    await writeCertificates(dir, first);
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    app = httpsApp(files);
    app.get('/', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    watcher = watchCertificates(app.server, {
      ...files,
      debounceMs: 20,
      pollIntervalMs: 250,
      onReload: () => reloads.push(Date.now()),
      onError: (e) => errors.push(e),
    });
  });

  afterEach(async () => {
    watcher.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates to a new CA and leaf under load with zero failed requests', async () => {
    // During a CA rotation the apiserver's caBundle holds both CAs; the clients here do the same.
    const bothCas = [first.caCert, second.caCert];
    const keepAlive = new Agent({ connect: { ca: bothCas }, connections: 4 });
    let ok = 0;
    const failures: unknown[] = [];
    const seen = new Set<string>();
    let running = true;

    const keepAliveLoop = async () => {
      while (running) {
        try {
          const res = await request(`https://127.0.0.1:${port}/`, { dispatcher: keepAlive });
          await res.body.json();
          if (res.statusCode === 200) ok++;
          else failures.push(res.statusCode);
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const freshConnectionLoop = async () => {
      while (running) {
        try {
          seen.add(await newConnectionCert(port, bothCas));
          ok++;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const loops = [keepAliveLoop(), keepAliveLoop(), freshConnectionLoop(), freshConnectionLoop()];

    await until(() => ok > 50);
    await writeCertificates(dir, second, { force: true });
    await until(() => reloads.length === 1);
    const okAtReload = ok;
    await until(() => ok > okAtReload + 50);
    running = false;
    await Promise.all(loops);
    await keepAlive.close();

    expect(failures).toEqual([]);
    expect(seen).toContain(fp(first.cert));
    expect(seen).toContain(fp(second.cert));
    // After the reload, a new connection must present the new leaf; a client that trusts only
    // the new CA proves the chain is the new one too.
    expect(await newConnectionCert(port, [second.caCert])).toBe(fp(second.cert));
    await expect(newConnectionCert(port, [first.caCert])).rejects.toThrow();
    // The brief cert/key mismatch while the files are replaced one by one is not an error.
    expect(errors).toEqual([]);
  });

  it.each([
    ['garbage certificate', async (d: string) => writeFile(join(d, 'tls.crt'), 'not a pem')],
    ['garbage key', async (d: string) => writeFile(join(d, 'tls.key'), 'not a pem')],
    ['key from another pair', async (d: string) => writeFile(join(d, 'tls.key'), second.key)],
  ])('keeps serving the old certificate after a %s and reports it once', async (_name, breakIt) => {
    await breakIt(dir);
    await until(() => errors.length > 0);
    expect(await newConnectionCert(port, [first.caCert])).toBe(fp(first.cert));
    expect(reloads).toEqual([]);
    // Several checks later (each one what a poll runs) the same bad content has not been
    // reported again.
    for (let i = 0; i < 3; i++) expect(await watcher.reload()).toBe('failed');
    expect(errors).toHaveLength(1);
    // Fixing the files recovers without a restart.
    await writeCertificates(dir, second, { force: true });
    await until(() => reloads.length === 1);
    expect(await newConnectionCert(port, [second.caCert])).toBe(fp(second.cert));
  });

  it('reload() reports unchanged when the content did not change', async () => {
    expect(await watcher.reload()).toBe('unchanged');
    await writeCertificates(dir, first, { force: true });
    expect(await watcher.reload()).toBe('unchanged');
    expect(reloads).toEqual([]);
  });

  it('refuses TLS 1.1 clients', async () => {
    const err = await new Promise<Error | undefined>((resolve) => {
      const sock = tls.connect({
        host: '127.0.0.1',
        port,
        ca: [first.caCert],
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        // Let our client offer TLS 1.1 at all, so the refusal is provably the server's.
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      sock.on('secureConnect', () => {
        sock.destroy();
        resolve(undefined);
      });
      sock.on('error', resolve);
    });
    expect(err).toBeDefined();
    expect(String((err as NodeJS.ErrnoException).code)).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/);
  });

  it('negotiates TLS 1.2 with an AEAD cipher when the client caps at 1.2', async () => {
    const info = await new Promise<{ version: string | null; cipher: string }>((resolve, reject) => {
      const sock = tls.connect({ host: '127.0.0.1', port, ca: [first.caCert], maxVersion: 'TLSv1.2' }, () => {
        resolve({ version: sock.getProtocol(), cipher: sock.getCipher().name });
        sock.destroy();
      });
      sock.on('error', reject);
    });
    expect(info.version).toBe('TLSv1.2');
    expect(info.cipher).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM|CHACHA20-POLY1305)/);
  });
});

describe('client certificate verification', () => {
  it('admits only clients with a certificate from the client CA', async () => {
    const clientCa = await generateCertificates();
    const client = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ca: { key: clientCa.caKey, cert: clientCa.caCert },
      extensions: [{ name: 'extKeyUsage', clientAuth: true }],
    });
    const server = https.createServer(
      tlsOptions(first.cert, first.key, { clientCa: clientCa.caCert }),
      (_q, s) => s.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const get = (extra: https.RequestOptions) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port, ca: [first.caCert], agent: false, ...extra },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get({ cert: client.cert, key: client.private })).toBe(200);
      await expect(get({})).rejects.toThrow();
      // A certificate from another CA is no better than none.
      await expect(get({ cert: second.cert, key: second.key })).rejects.toThrow();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
