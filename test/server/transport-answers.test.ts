/**
 * Every answer on the admission port is an AdmissionReview, as controller-runtime's are,
 * including those that never reach a route: an unknown path or method (404), HTTP that node
 * cannot parse (400, 431), a body that never arrives (408), and a review that arrives on an
 * open connection while the server closes (reviewed, not fastify's bare 503). Driven over
 * real TLS sockets, since undici cannot send malformed HTTP.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer } from '../../src/server/serve.js';
import { tempCertificates } from '../hardening/helpers.js';
import { waitFor } from '../support/list-watch-server.js';
import { type Json, loadFixture, serverDeps } from './helpers.js';
import { openTls, parseResponses, post, type RawResponse } from './raw-tls.js';

const fixture = loadFixture('validate-create-service-nodeport-explicit');
const review = JSON.stringify(fixture);
const uid = fixture.request.uid as string;

let certs: Awaited<ReturnType<typeof tempCertificates>>;

async function start(): Promise<ServerHandle> {
  return startServer({
    deps: await serverDeps(),
    port: 0,
    host: '127.0.0.1',
    tls: { certFile: certs.cert, keyFile: certs.key },
    // A body that never arrives is cut after a second instead of six.
    timeouts: { headersTimeout: 1_000, requestTimeout: 1_000 },
  });
}

let handle: ServerHandle;
beforeAll(async () => {
  certs = await tempCertificates();
  handle = await start();
});
afterAll(async () => {
  await handle?.close();
  await rm(certs.dir, { recursive: true, force: true });
});

/** Sends `raw` on a fresh connection and returns what came back before the server closed it. */
async function exchange(port: number, raw: string): Promise<RawResponse[]> {
  const conn = await openTls(port, certs.bundle.caCert);
  conn.socket.write(raw);
  expect(await conn.closedWithin(20_000)).toBe(true);
  return parseResponses(conn.received());
}

function expectErroredReview(answer: RawResponse | undefined, status: number, expectedUid: string): void {
  expect(answer?.status, answer?.body).toBe(status);
  expect(answer?.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer?.body ?? '') as Json;
  expect(body).toMatchObject({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: expectedUid, allowed: false, status: { code: status } },
  });
  expect(body.response.status.message).toMatch(/\w/);
}

const close = 'Connection: close';

describe('answers that never reach a route are AdmissionReviews', () => {
  it.each([
    ['an unknown path', post('/nope', review, [close]), 404, uid],
    ['an unknown path on the webhook prefix', post('/validate/extra', review, [close]), 404, uid],
    ['GET on /validate', `GET /validate HTTP/1.1\r\nHost: localhost\r\n${close}\r\n\r\n`, 404, ''],
    ['conflicting Content-Length headers', post('/validate', review, ['Content-Length: 5', close]), 400, ''],
    [
      'a Content-Length that is not a number',
      `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n${review}`,
      400,
      '',
    ],
    ['a malformed request line', 'POST\r\n\r\n', 400, ''],
    [
      'headers larger than node accepts',
      post('/validate', review, [`X-Pad: ${'y'.repeat(20_000)}`]),
      431,
      '',
    ],
    [
      'a body shorter than its Content-Length (it never arrives)',
      post('/validate', review).replace(/Content-Length: \d+/, `Content-Length: ${review.length + 10}`),
      408,
      '',
    ],
  ])(
    '%s',
    async (_name, raw, status, expectedUid) => {
      const answers = await exchange(handle.port, raw);
      expect(answers).toHaveLength(1);
      expectErroredReview(answers[0], status, expectedUid);
    },
    30_000,
  );

  it('a review on an open connection while the server closes is reviewed, and the connection closed', async () => {
    const closing = await start();
    const conn = await openTls(closing.port, certs.bundle.caCert);
    // The first review is in flight (body half sent) when close starts; the next one follows
    // on the same connection, as the apiserver sends them under load.
    const first = post('/validate?timeout=10s', review);
    // node parsed the first review's headers: it is in flight.
    const inFlight = new Promise((r) => closing.app.server.once('request', r));
    conn.socket.write(first.slice(0, first.length - 100));
    await inFlight;
    const closed = closing.close();
    // Closing has reached the point where the server accepts no new connection.
    await waitFor(() => !closing.app.server.listening, 10_000, 'the server to stop listening');
    conn.socket.write(first.slice(first.length - 100) + post('/validate?timeout=10s', review));
    expect(await conn.closedWithin(20_000)).toBe(true);
    await closed;
    const answers = parseResponses(conn.received());
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(JSON.parse(answers[1]?.body ?? '')).toMatchObject({ response: { uid } });
    expect(answers[1]?.headers['connection']).toBe('close');
  }, 30_000);
});
