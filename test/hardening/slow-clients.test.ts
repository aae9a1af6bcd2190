/**
 * Slow and hostile clients against the real HTTPS server (startServer on loopback): a
 * slowloris that sends its headers byte by byte, a body that trickles, and TCP
 * connections that never start the TLS handshake. None of them may starve normal
 * reviews, and each must be cut before the apiserver's webhook timeout (10 s by default,
 * 5 s in our manifests), so a stuck socket never outlives the request it blocks.
 */
import { rm } from 'node:fs/promises';
import { type Socket, connect as tcpConnect } from 'node:net';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_TIMEOUTS, type ServerHandle, startServer } from '../../src/server/serve.js';
import { loadFixture, serverDeps } from '../server/helpers.js';
import { sleep, tempCertificates } from './helpers.js';

/** The apiserver's default webhook timeout; every server-side cut must come before it. */
const APISERVER_TIMEOUT_MS = 10_000;
const review = JSON.stringify(loadFixture('validate-create-service-nodeport-explicit'));

let handle: ServerHandle;
let certs: Awaited<ReturnType<typeof tempCertificates>>;

beforeAll(async () => {
  certs = await tempCertificates();
  handle = await startServer({
    deps: await serverDeps(),
    port: 0,
    host: '127.0.0.1',
    tls: { certFile: certs.cert, keyFile: certs.key },
  });
});

afterAll(async () => {
  await handle?.close();
  await rm(certs.dir, { recursive: true, force: true });
});

/** Resolves with who closed `socket`: the server, or this client after waiting `cap` ms. */
function closedAfter(socket: Socket, cap: number): Promise<'server' | 'client'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('client');
    }, cap);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('server');
    });
    socket.on('error', () => {});
  });
}

/** A TLS client that sends the request headers one byte every `gapMs`, forever. */
function slowloris(gapMs: number, cap: number): Promise<'server' | 'client'> {
  const socket = connect({
    host: '127.0.0.1',
    port: handle.port,
    ca: [certs.bundle.caCert],
    servername: 'localhost',
  });
  const head = `POST /validate?timeout=10s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${'X-Pad: y\r\n'.repeat(1000)}`;
  let i = 0;
  const tick = setInterval(() => {
    if (socket.destroyed || i >= head.length) return clearInterval(tick);
    socket.write(head[i++] ?? '');
  }, gapMs);
  socket.on('close', () => clearInterval(tick));
  return closedAfter(socket, cap);
}

/** Full headers, then a body that trickles one byte every `gapMs`. */
function slowBody(gapMs: number, cap: number): Promise<'server' | 'client'> {
  const socket = connect({
    host: '127.0.0.1',
    port: handle.port,
    ca: [certs.bundle.caCert],
    servername: 'localhost',
  });
  socket.write(
    `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${review.length}\r\n\r\n`,
  );
  let i = 0;
  const tick = setInterval(() => {
    if (socket.destroyed || i >= review.length) return clearInterval(tick);
    socket.write(review[i++] ?? '');
  }, gapMs);
  socket.on('close', () => clearInterval(tick));
  return closedAfter(socket, cap);
}

/** A TCP connection to the TLS port that never sends a ClientHello. */
function silentTcp(cap: number): Promise<'server' | 'client'> {
  const socket = tcpConnect(handle.port, '127.0.0.1');
  return closedAfter(socket, cap);
}

async function reviews(n: number, agent: Agent): Promise<{ failures: unknown[] }> {
  const failures: unknown[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const res = await request(`https://127.0.0.1:${handle.port}/validate?timeout=10s`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: review,
        dispatcher: agent,
      });
      await res.body.json();
      if (res.statusCode !== 200) failures.push(res.statusCode);
    } catch (err) {
      failures.push(err);
    }
  }
  return { failures };
}

describe('slow clients', () => {
  it('configures header and request timeouts below the apiserver webhook timeout', () => {
    expect(SERVER_TIMEOUTS.headersTimeout).toBeLessThan(APISERVER_TIMEOUT_MS);
    expect(SERVER_TIMEOUTS.requestTimeout).toBeLessThan(APISERVER_TIMEOUT_MS);
    expect(handle.app.server.headersTimeout).toBe(SERVER_TIMEOUTS.headersTimeout);
    expect(handle.app.server.requestTimeout).toBe(SERVER_TIMEOUTS.requestTimeout);
  });

  it('200 slowloris connections do not starve normal reviews', async () => {
    const cap = 3_000;
    const lorises = Array.from({ length: 200 }, () => slowloris(200, cap));
    await sleep(300);
    const agent = new Agent({ connect: { ca: [certs.bundle.caCert] }, connections: 2 });
    const { failures } = await reviews(100, agent);
    await agent.close();
    await Promise.all(lorises);
    // Every review answered while the lorises hold their sockets; how fast is a bench figure.
    expect(failures).toEqual([]);
  });

  // The server's timeouts are below the apiserver's (asserted above from the configuration);
  // here the server must be the one that closes, whatever the machine's load.
  it.each([
    ['headers sent one byte per second (slowloris)', () => slowloris(1_000, 45_000)],
    ['a body trickling one byte per second', () => slowBody(1_000, 45_000)],
    ['a TCP connection that never starts TLS', () => silentTcp(45_000)],
  ])(
    'cuts %s: the server closes the connection',
    async (_n, client) => {
      expect(await client()).toBe('server');
    },
    60_000,
  );
});
