/**
 * Security properties of the running server: TLS 1.2+ with modern ciphers only, client
 * certificates enforced with a client CA (also after a certificate rotation), no
 * admission endpoint in plaintext, and nothing secret in logs or responses: env values,
 * scripts and whole objects never reach a log line or a warning.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type SecureVersion } from 'node:tls';
import { generate } from 'selfsigned';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/serve.js';
import { writeCertificates } from '../../src/tls/write-certs.js';
import { loadFixture, post, recordingLogger, serverDeps, testApp } from '../server/helpers.js';
import { type Json, loopbackCertificates, tempCertificates } from './helpers.js';

const review = loadFixture('validate-create-service-nodeport-explicit');

async function startTls(extra: { clientCaFile?: string } = {}) {
  const certs = await tempCertificates();
  const { logger, lines } = recordingLogger();
  const handle = await startServer({
    deps: await serverDeps(logger),
    port: 0,
    host: '127.0.0.1',
    healthPort: 0,
    healthHost: '127.0.0.1',
    tls: { certFile: certs.cert, keyFile: certs.key, ...extra },
    certPollIntervalMs: 50,
  });
  return { handle, certs, lines };
}

interface Handshake {
  ok: boolean;
  version?: string | null;
  cipher?: string;
  error?: string;
}

/** One TLS handshake plus a first read, so TLS 1.3 post-handshake rejections show up too. */
function handshake(
  port: number,
  ca: string,
  opts: {
    minVersion?: SecureVersion;
    maxVersion?: SecureVersion;
    ciphers?: string;
    cert?: string;
    key?: string;
  },
): Promise<Handshake> {
  return new Promise((resolve) => {
    // The client's own OpenSSL may refuse to offer a suite at all; that is a refusal too.
    let socket: ReturnType<typeof connect>;
    try {
      socket = connect({ host: '127.0.0.1', port, ca: [ca], servername: 'localhost', ...opts }, () => {
        const version = socket.getProtocol();
        const cipher = socket.getCipher().name;
        socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        let data = '';
        socket.on('data', (d) => {
          data += String(d);
        });
        socket.on('end', () => resolve({ ok: data.startsWith('HTTP/1.1 200'), version, cipher }));
      });
    } catch (err) {
      resolve({ ok: false, error: (err as Error).message });
      return;
    }
    socket.on('error', (err) => resolve({ ok: false, error: err.message }));
  });
}

describe('TLS settings of the admission port', () => {
  let t: Awaited<ReturnType<typeof startTls>>;
  beforeAll(async () => {
    t = await startTls();
  });
  afterAll(async () => {
    await t.handle.close();
    await rm(t.certs.dir, { recursive: true, force: true });
  });

  it.each([
    ['TLSv1', 'TLSv1'],
    ['TLSv1.1', 'TLSv1.1'],
  ] as const)('refuses %s', async (_n, v) => {
    const r = await handshake(t.handle.port, t.certs.bundle.caCert, {
      minVersion: v,
      maxVersion: v,
      // Let the client offer what an old client would; the server must still refuse.
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    expect(r.ok).toBe(false);
    expect(r.version).toBeUndefined();
  });

  it.each([
    ['TLSv1.2', 'TLSv1.2'],
    ['TLSv1.3', 'TLSv1.3'],
  ] as const)('accepts %s with an AEAD cipher', async (_n, v) => {
    const r = await handshake(t.handle.port, t.certs.bundle.caCert, { minVersion: v, maxVersion: v });
    expect(r).toMatchObject({ ok: true, version: v });
    expect(r.cipher).toMatch(/GCM|CHACHA20/);
  });

  it.each([
    ['CBC with RSA key exchange', 'AES128-SHA'],
    ['CBC with ECDHE', 'ECDHE-ECDSA-AES128-SHA'],
    ['3DES', 'DES-CBC3-SHA'],
  ])('refuses TLS 1.2 clients that offer only %s', async (_n, ciphers) => {
    const r = await handshake(t.handle.port, t.certs.bundle.caCert, {
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ciphers: `${ciphers}:@SECLEVEL=0`,
    });
    expect(r.ok).toBe(false);
  });

  it('has no plaintext admission endpoint: plain HTTP to the HTTPS port gets no review', async () => {
    const answer = await new Promise<string>((resolve) => {
      const s = tcpConnect(t.handle.port, '127.0.0.1', () => {
        s.write(
          `POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        );
      });
      let data = '';
      s.on('data', (d) => {
        data += String(d);
      });
      s.on('close', () => resolve(data));
      s.on('error', () => resolve(data));
    });
    expect(answer).not.toMatch(/AdmissionReview/);
  });

  it.each(['/validate', '/mutate'])('the plaintext health port has no %s', async (url) => {
    const res = await request(`http://127.0.0.1:${t.handle.healthPort}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(review),
    });
    expect(res.statusCode).toBe(404);
    expect(await res.body.text()).not.toMatch(/AdmissionReview/);
  });
});

describe('--client-ca: only the apiserver gets in', () => {
  let t: Awaited<ReturnType<typeof startTls>>;
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  beforeAll(async () => {
    const clientCa = await loopbackCertificates();
    const issue = async (caKey: string, caCert: string) => {
      const c = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
        keyType: 'ec',
        algorithm: 'sha256',
        ca: { key: caKey, cert: caCert },
        extensions: [{ name: 'extKeyUsage', clientAuth: true }],
      });
      return { cert: c.cert, key: c.private };
    };
    client = await issue(clientCa.caKey, clientCa.caCert);
    const other = await loopbackCertificates();
    stranger = await issue(other.caKey, other.caCert);
    caDir = await mkdtemp(path.join(tmpdir(), 'portguard-client-ca-'));
    const caFile = path.join(caDir, 'client-ca.crt');
    await writeFile(caFile, clientCa.caCert);
    t = await startTls({ clientCaFile: caFile });
  });
  let caDir: string;
  afterAll(async () => {
    await t?.handle.close();
    await rm(t.certs.dir, { recursive: true, force: true });
    await rm(caDir, { recursive: true, force: true });
  });

  const validate = async (tls: { cert?: string; key?: string }) => {
    const agent = new Agent({ connect: { ca: [t.certs.bundle.caCert], ...tls } });
    try {
      const res = await request(`https://127.0.0.1:${t.handle.port}/validate?timeout=10s`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(review),
        dispatcher: agent,
      });
      return { status: res.statusCode, body: (await res.body.json()) as Json };
    } finally {
      await agent.close();
    }
  };

  it('without a client certificate the TLS handshake fails', async () => {
    await expect(validate({})).rejects.toThrow();
  });

  it('with a certificate from another CA the handshake fails', async () => {
    await expect(validate(stranger)).rejects.toThrow();
  });

  it('with a certificate from the client CA the review is answered', async () => {
    const { status, body } = await validate(client);
    expect(status).toBe(200);
    expect(body.response.uid).toBe(review.request.uid);
  });

  it('still demands the client certificate after the serving certificate rotates', async () => {
    await writeCertificates(t.certs.dir, await loopbackCertificates(), { force: true });
    expect(['reloaded', 'unchanged']).toContain(await t.handle.reloadCertificates());
    await expect(validate({})).rejects.toThrow();
  });
});

describe('nothing secret in logs or responses', () => {
  const SECRET = 's3cr3t-Zq9vX7-do-not-log';
  const secretPod = (script: string) => {
    const r = structuredClone(loadFixture('validate-create-pod-hostnetwork-init-sysctl'));
    const obj = r.request.object;
    obj.metadata.annotations = { 'example.com/token': SECRET };
    const init = obj.spec.initContainers[0];
    init.env = [
      { name: 'PASSWORD', value: SECRET },
      { name: 'RANGE', value: `1024 ${SECRET}` },
    ];
    init.command = ['/bin/sh', '-c', script];
    return r;
  };
  const scripts: [string, string][] = [
    [
      'a secret in a curl command next to the sysctl',
      `curl -u admin:${SECRET} https://x\nsysctl -w net.ipv4.ip_local_port_range="1024 65535"`,
    ],
    ['the env value flows into the sysctl value', 'sysctl -w net.ipv4.ip_local_port_range="$PASSWORD"'],
    ['a half-secret range from env', 'sysctl -w net.ipv4.ip_local_port_range="$RANGE"'],
    ['the secret written to a hazardous sysctl', 'sysctl -w net.ipv4.tcp_tw_recycle="$PASSWORD"'],
    ['a literal secret as the sysctl value', `echo "${SECRET}" > /proc/sys/net/ipv4/ip_local_port_range`],
    [
      'a secret in an unterminated heredoc',
      `cat <<EOF > /etc/sysctl.d/9.conf\nnet.ipv4.ip_local_port_range = ${SECRET}\n`,
    ],
  ];

  it.each(scripts)('%s: neither the answer nor the logs contain it', async (_n, script) => {
    const t = await testApp();
    for (const url of ['/validate', '/mutate']) {
      const { status, body } = await post(t.app, url, secretPod(script));
      expect(status).toBe(200);
      expect(JSON.stringify(body)).not.toContain(SECRET);
    }
    expect(t.lines.length).toBeGreaterThan(0);
    expect(t.lines.join('\n')).not.toContain(SECRET);
    await t.app.close();
  });

  it('a malformed body carrying a secret is not echoed into the log', async () => {
    const t = await testApp();
    const text = JSON.stringify(secretPod('true'));
    // Cut right after the secret, where a JSON parser reports the error.
    const cut = text.indexOf(SECRET) + SECRET.length + 2;
    for (const payload of [text.slice(0, cut), `${text.slice(0, cut)}@@`]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/validate',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(400);
    }
    expect(t.lines.join('\n')).not.toContain(SECRET);
    await t.app.close();
  });

  it('logs one decision line per review with identifiers only, never the object', async () => {
    const t = await testApp();
    await post(t.app, '/validate', secretPod('true'));
    const decisions = t.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'admission decision');
    expect(decisions).toHaveLength(1);
    const keys = Object.keys(decisions[0]).sort();
    for (const k of ['object', 'oldObject', 'spec', 'env', 'request', 'body', 'annotations']) {
      expect(keys).not.toContain(k);
    }
    await t.app.close();
  });
});

describe('exemptions cannot be granted by the object itself', () => {
  it('no annotation, label, name trick or mode label on the object turns a denial into an admission', async () => {
    const t = await testApp();
    const tricks: ((o: Json) => void)[] = [
      (o) => {
        o.metadata.annotations = { 'portguard.io/exempt': 'true', 'portguard.io/mode': 'warn' };
      },
      (o) => {
        o.metadata.labels = { 'portguard.io/mode': 'audit', 'portguard.io/exempt': 'all' };
      },
      (o) => {
        o.metadata.annotations = { 'portguard.io/exemptions': '[{"rules":["nodeport-in-ephemeral-range"]}]' };
      },
      (o) => {
        o.metadata.annotations = {
          'admission.portguard.io/skip': 'true',
          'policies.kyverno.io/skip': 'true',
        };
      },
    ];
    for (const trick of tricks) {
      const r = structuredClone(review);
      trick(r.request.object);
      const { body } = await post(t.app, '/validate', r);
      expect(body.response.allowed).toBe(false);
    }
    await t.app.close();
  });
});
