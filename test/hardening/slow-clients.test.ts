/**
 * Slow and hostile clients against the real HTTPS server (startServer on loopback): a
 * slowloris that sends its headers byte by byte, a body that trickles, and TCP
 * connections that never start the TLS handshake. None of them may starve normal
 * reviews, and each must be cut before the apiserver's webhook timeout (10 s by default,
 * 5 s in our manifests), so a stuck socket never outlives the request it blocks.
 *
 * The default timeouts are asserted from the configuration; the cuts themselves run against
 * a second server with the same timeouts scaled down five times (and clients scaled with
 * them), so they take a second or two instead of the defaults' five to eight.
 */
import { rm } from 'node:fs/promises';
import { type Socket, connect as tcpConnect } from 'node:net';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SERVER_TIMEOUTS,
  type ServerHandle,
  type ServerTimeouts,
  startServer,
} from '../../src/server/serve.js';
import { loadFixture, serverDeps } from '../server/helpers.js';
import { sleep, tempCertificates } from './helpers.js';

/** The apiserver's default webhook timeout; every server-side cut must come before it. */
const APISERVER_TIMEOUT_MS = 10_000;
const review = JSON.stringify(loadFixture('validate-create-service-nodeport-explicit'));

/** SERVER_TIMEOUTS divided by SCALE, for the server the cut tests run against. */
const SCALE = 5;
const QUICK_TIMEOUTS = Object.fromEntries(
  Object.entries(SERVER_TIMEOUTS).map(([k, ms]) => [k, ms / SCALE]),
) as ServerTimeouts;

let handle: ServerHandle;
let quick: ServerHandle;
let certs: Awaited<ReturnType<typeof tempCertificates>>;

beforeAll(async () => {
  certs = await tempCertificates();
  const serve = async (timeouts?: ServerTimeouts) =>
    startServer({
      deps: await serverDeps(),
      port: 0,
      host: '127.0.0.1',
      tls: { certFile: certs.cert, keyFile: certs.key },
      ...(timeouts ? { timeouts } : {}),
    });
  [handle, quick] = await Promise.all([serve(), serve(QUICK_TIMEOUTS)]);
});

afterAll(async () => {
  await Promise.all([handle?.close(), quick?.close()]);
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
function slowloris(server: ServerHandle, gapMs: number, cap: number): Promise<'server' | 'client'> {
  const socket = connect({
    host: '127.0.0.1',
    port: server.port,
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
function slowBody(server: ServerHandle, gapMs: number, cap: number): Promise<'server' | 'client'> {
  const socket = connect({
    host: '127.0.0.1',
    port: server.port,
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
function silentTcp(server: ServerHandle, cap: number): Promise<'server' | 'client'> {
  const socket = tcpConnect(server.port, '127.0.0.1');
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
    expect(SERVER_TIMEOUTS.handshakeTimeout).toBeLessThan(APISERVER_TIMEOUT_MS);
    expect(SERVER_TIMEOUTS.headersTimeout).toBeLessThan(APISERVER_TIMEOUT_MS);
    expect(SERVER_TIMEOUTS.requestTimeout).toBeLessThan(APISERVER_TIMEOUT_MS);
    expect(handle.app.server.headersTimeout).toBe(SERVER_TIMEOUTS.headersTimeout);
    expect(handle.app.server.requestTimeout).toBe(SERVER_TIMEOUTS.requestTimeout);
    expect(quick.app.server.headersTimeout).toBe(QUICK_TIMEOUTS.headersTimeout);
    expect(quick.app.server.requestTimeout).toBe(QUICK_TIMEOUTS.requestTimeout);
  });

  it('200 slowloris connections do not starve normal reviews', async () => {
    const cap = 3_000;
    const lorises = Array.from({ length: 200 }, () => slowloris(handle, 200, cap));
    await sleep(300);
    const agent = new Agent({ connect: { ca: [certs.bundle.caCert] }, connections: 2 });
    const { failures } = await reviews(100, agent);
    await agent.close();
    await Promise.all(lorises);
    // Every review answered while the lorises hold their sockets; how fast is a bench figure.
    expect(failures).toEqual([]);
  });

  // The server's timeouts are below the apiserver's (asserted above from the configuration);
  // here the server must be the one that closes, whatever the machine's load. A byte every
  // fifth of a second against timeouts five times shorter: the defaults' one byte per second.
  const gap = 1_000 / SCALE;
  it.each([
    ['headers sent one byte per gap (slowloris)', () => slowloris(quick, gap, 45_000)],
    ['a body trickling one byte per gap', () => slowBody(quick, gap, 45_000)],
    ['a TCP connection that never starts TLS', () => silentTcp(quick, 45_000)],
  ])(
    'cuts %s: the server closes the connection',
    async (_n, client) => {
      expect(await client()).toBe('server');
    },
    60_000,
  );
});
