/**
 * Connections that hold a socket without sending anything are closed by the server: one
 * that completes the TLS handshake and never sends a request (node has no limit for that),
 * and a keep-alive connection that falls silent after a review. A request that started in
 * time is not cut by the first-request limit however long its body takes (node's request
 * timeout governs it). The limits are injected small; the test waits on the socket's
 * 'close' with a generous deadline.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer } from '../../src/server/serve.js';
import { loadFixture, serverDeps } from '../server/helpers.js';
import { openTls, parseResponses, post, type RawConnection } from '../server/raw-tls.js';
import { sleep, tempCertificates } from './helpers.js';

const review = JSON.stringify(loadFixture('validate-create-service-nodeport-explicit'));
const LIMIT_MS = 300;

let handle: ServerHandle;
let certs: Awaited<ReturnType<typeof tempCertificates>>;

beforeAll(async () => {
  certs = await tempCertificates();
  handle = await startServer({
    deps: await serverDeps(),
    port: 0,
    host: '127.0.0.1',
    tls: { certFile: certs.cert, keyFile: certs.key },
    timeouts: { firstRequestTimeout: LIMIT_MS, keepAliveTimeout: LIMIT_MS },
  });
});

afterAll(async () => {
  await handle?.close();
  await rm(certs.dir, { recursive: true, force: true });
});

/** Sends the review's headers at once and its body in four pieces, each after a pause. */
async function trickledReview(conn: RawConnection): Promise<void> {
  const raw = post('/validate?timeout=10s', review);
  const bodyAt = raw.length - review.length;
  conn.socket.write(raw.slice(0, bodyAt));
  for (let i = 0; i < 4; i++) {
    await sleep(LIMIT_MS);
    conn.socket.write(review.slice((i * review.length) / 4, ((i + 1) * review.length) / 4));
  }
}

describe('idle connections', () => {
  it.each<[string, (conn: RawConnection) => Promise<void>, number[]]>([
    ['a TLS handshake, then nothing', async () => {}, []],
    [
      'one review, then a silent keep-alive connection',
      async (conn) => {
        conn.socket.write(post('/validate?timeout=10s', review));
      },
      [200],
    ],
    ['a review whose body takes longer than the first-request limit', trickledReview, [200]],
  ])(
    'closes %s, after answering what was asked',
    async (_name, send, statuses) => {
      const conn = await openTls(handle.port, certs.bundle.caCert);
      await send(conn);
      expect(await conn.closedWithin(20_000)).toBe(true);
      expect(parseResponses(conn.received()).map((r) => r.status)).toEqual(statuses);
    },
    30_000,
  );
});
