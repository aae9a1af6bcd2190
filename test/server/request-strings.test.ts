/**
 * Strings the caller sends (request.kind.kind, name, namespace) reach metrics labels and log
 * lines only bounded: the kind label comes from a fixed set, every logged string is capped.
 * The figures asserted are bytes, never time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SHOWN_REQUEST_CHARS } from '../../src/core/request-text.js';
import { BODY_LIMIT_BYTES } from '../../src/server/admission-request.js';
import { kindLabel } from '../../src/server/kind-label.js';
import { type Json, loadFixture, testApp } from './helpers.js';

const fixture = loadFixture('validate-create-service-nodeport-explicit');

function reviewWith(fields: { kind?: string; name?: string; namespace?: string; uid?: string }): Json {
  const req = fixture.request;
  return {
    ...fixture,
    request: {
      ...req,
      uid: fields.uid ?? req.uid,
      kind: { ...req.kind, kind: fields.kind ?? req.kind.kind },
      name: fields.name ?? req.name,
      namespace: fields.namespace ?? req.namespace,
    },
  };
}

/** Well above what the fixed label set gives (a few KiB), far below one 10 KB kind per series. */
const METRICS_BYTES_BOUND = 64 * 1024;

describe('kindLabel', () => {
  it.each([
    ['Service', 'Service'],
    ['Deployment', 'Deployment'],
    ['CronJob', 'CronJob'],
    ['service', 'other'],
    ['Widget', 'other'],
    ['', 'other'],
    ['K'.repeat(10_000), 'other'],
  ])('%s → %s', (kind, label) => {
    expect(kindLabel(kind)).toBe(label);
  });
});

describe('strings from the request in metrics and logs', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  const send = (payload: string) =>
    t.app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json' },
      payload,
    });
  const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics' })).body;

  it('200 reviews with distinct 10 KB kinds keep /metrics small', async () => {
    for (let i = 0; i < 200; i++) {
      const res = await send(
        JSON.stringify(reviewWith({ kind: `${i}${'K'.repeat(10_000)}`, uid: `u-${i}` })),
      );
      expect(res.statusCode).toBe(200);
    }
    const metrics = await scrape();
    expect(metrics).toContain('kind="other"');
    expect(Buffer.byteLength(metrics)).toBeLessThan(METRICS_BYTES_BOUND);
  });

  it('a kind of nearly 8 MiB (within the body limit) is answered and /metrics stays small', async () => {
    const envelope = JSON.stringify(reviewWith({ kind: 'KIND', uid: 'huge-kind' }));
    const kind = 'K'.repeat(BODY_LIMIT_BYTES - envelope.length - 1024);
    const payload = envelope.replace('"KIND"', JSON.stringify(kind));
    expect(payload.length).toBeLessThanOrEqual(BODY_LIMIT_BYTES);
    expect(payload.length).toBeGreaterThan(BODY_LIMIT_BYTES - 2048);
    const res = await send(payload);
    expect(res.statusCode).toBe(200);
    expect(res.json().response.uid).toBe('huge-kind');
    for (let i = 0; i < 2; i++) expect(Buffer.byteLength(await scrape())).toBeLessThan(METRICS_BYTES_BOUND);
  });

  it('log lines carry capped kind, name and namespace', async () => {
    const long = (c: string) => c.repeat(10_000);
    const res = await send(
      JSON.stringify(
        reviewWith({ kind: long('K'), name: long('n'), namespace: long('s'), uid: 'long-strings' }),
      ),
    );
    expect(res.statusCode).toBe(200);
    const line = t.lines
      .map((l) => JSON.parse(l))
      .find((l) => l.uid === 'long-strings' && l.msg === 'admission decision');
    expect(line).toBeDefined();
    for (const field of ['kind', 'name', 'namespace']) {
      expect(Array.from(line[field] as string).length, field).toBe(MAX_SHOWN_REQUEST_CHARS);
      expect(line[field], field).toMatch(/…$/);
    }
  });
});

describe('a denial names the object with capped strings', () => {
  it('a 10,000-character object name is shown capped', async () => {
    const t = await testApp();
    try {
      const review = loadFixture('validate-create-pod-hostnetwork-init-sysctl');
      review.request.object.metadata.name = 'n'.repeat(10_000);
      const res = await t.app.inject({
        method: 'POST',
        url: '/validate',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(review),
      });
      const response = res.json().response;
      expect(response.allowed).toBe(false);
      const subject = /^portguard denied Pod (\S+): /.exec(response.status.message)?.[1] ?? '';
      expect(subject).toMatch(/^shop\/n+…$/);
      expect(Array.from(subject).length).toBe(MAX_SHOWN_REQUEST_CHARS);
    } finally {
      await t.app.close();
    }
  });
});
