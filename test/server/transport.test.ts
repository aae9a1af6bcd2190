/**
 * Transport edge cases: every malformed request is a clean 4xx AdmissionReview with a
 * reason; internal errors fail closed on /validate and open on /mutate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reviewer } from '../../src/core/review.js';
import { BODY_LIMIT_BYTES } from '../../src/server/admission-request.js';
import { INTERNAL_ERROR_MESSAGE } from '../../src/server/validate-handler.js';
import { loadFixture, post, stateWith, testApp, WIDENED } from './helpers.js';

const allowAll: Reviewer = {
  review: () => ({ allowed: true, mode: 'enforce', findings: [], denials: [], exempted: [] }),
};
const exploding: Reviewer = {
  review() {
    throw new TypeError('secret-value-from-env');
  },
};

const review = loadFixture('validate-create-service-nodeport-explicit');
const withRequest = (patch: object) => ({ ...review, request: { ...review.request, ...patch } });

describe('malformed requests', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp({ reviewer: allowAll });
  });
  afterAll(() => t.app.close());

  it.each([
    ['empty body with JSON type', 400, 'application/json', '', /body is empty/],
    ['no body at all', 400, undefined, undefined, /body is empty/],
    ['invalid JSON', 400, 'application/json', '{"apiVersion":', /not valid JSON/],
    ['text/plain', 415, 'text/plain', '{}', /application\/json/],
    ['form encoded', 415, 'application/x-www-form-urlencoded', 'a=b', /application\/json/],
    ['a JSON array', 400, 'application/json', '[]', /not a valid AdmissionReview/],
    ['a JSON string', 400, 'application/json', '"x"', /not a valid AdmissionReview/],
    [
      'wrong apiVersion',
      400,
      'application/json',
      JSON.stringify({ ...review, apiVersion: 'admission.k8s.io/v1beta1' }),
      /apiVersion/,
    ],
    ['wrong kind', 400, 'application/json', JSON.stringify({ ...review, kind: 'Pod' }), /\/kind/],
    [
      'no request',
      400,
      'application/json',
      JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind }),
      /request/,
    ],
    ['numeric uid', 400, 'application/json', JSON.stringify(withRequest({ uid: 7 })), /\/request\/uid/],
    [
      'bad operation',
      400,
      'application/json',
      JSON.stringify(withRequest({ operation: 'PATCH' })),
      /\/request\/operation/,
    ],
    [
      'object is a string',
      400,
      'application/json',
      JSON.stringify(withRequest({ object: 'x' })),
      /\/request\/object/,
    ],
    [
      'oldObject is an array',
      400,
      'application/json',
      JSON.stringify(withRequest({ oldObject: [] })),
      /\/request\/oldObject/,
    ],
    [
      'request.kind missing',
      400,
      'application/json',
      JSON.stringify(withRequest({ kind: undefined })),
      /kind/,
    ],
  ])('%s → %i', async (_label, code, type, payload, reason) => {
    for (const url of ['/validate', '/mutate?timeout=10s']) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        ...(type ? { headers: { 'content-type': type } } : {}),
        ...(payload !== undefined ? { payload } : {}),
      });
      expect(res.statusCode).toBe(code);
      const body = res.json();
      expect(body.kind).toBe('AdmissionReview');
      expect(body.response.allowed).toBe(false);
      expect(body.response.status.code).toBe(code);
      expect(body.response.status.message).toMatch(reason);
      expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
    }
  });

  it('echoes the uid when the envelope is bad but the uid is readable', async () => {
    const { status, body } = await post(t.app, '/validate', withRequest({ operation: 'PATCH' }));
    expect(status).toBe(400);
    expect(body.response.uid).toBe(review.request.uid);
  });

  it('rejects a body over the limit with 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json' },
      payload: `{"pad":"${'x'.repeat(BODY_LIMIT_BYTES)}"}`,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().response.status.message).toMatch(/larger than/);
  });

  it('accepts a request near the apiserver maximum (3 MiB object + 3 MiB oldObject)', async () => {
    const big = 'y'.repeat(3 * 1024 * 1024);
    const obj = {
      ...review.request.object,
      metadata: { ...review.request.object.metadata, annotations: { big } },
    };
    const { status, body } = await post(
      t.app,
      '/validate',
      withRequest({ object: obj, oldObject: obj, operation: 'UPDATE' }),
    );
    expect(status).toBe(200);
    expect(body.response.allowed).toBe(true);
  });

  it('accepts charset in the content type', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/validate?timeout=10s',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify(review),
    });
    expect(res.statusCode).toBe(200);
  });

  it('answers unknown routes with an AdmissionReview 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().response).toMatchObject({ allowed: false, status: { code: 404 } });
    expect(res.json().response.status.message).toMatch(/no route/);
  });

  it('does not change the object it was given', async () => {
    const body = structuredClone(review);
    body.request.object.spec.extra = { nested: ['1', 2] };
    const seen: unknown[] = [];
    const spy: Reviewer = {
      review(input, s, p) {
        seen.push(input.object);
        return allowAll.review(input, s, p);
      },
    };
    const t2 = await testApp({ reviewer: spy });
    await post(t2.app, '/validate', body);
    expect(seen[0]).toEqual(body.request.object);
    await t2.app.close();
  });
});

describe('internal errors', () => {
  it('fail closed on /validate with 500 and a generic message', async () => {
    const t = await testApp({ reviewer: exploding });
    const { status, body } = await post(t.app, '/validate', review);
    expect(status).toBe(200);
    expect(body.response).toMatchObject({
      uid: review.request.uid,
      allowed: false,
      status: { code: 500, message: INTERNAL_ERROR_MESSAGE },
    });
    expect(JSON.stringify(body)).not.toContain('secret-value-from-env');
    expect(t.lines.join('')).toContain('review failed');
    await t.app.close();
  });

  it('fail open on /mutate: allowed, no patch, a warning', async () => {
    const state = stateWith({ 'worker-1': WIDENED });
    const t = await testApp({ state, reviewer: allowAll });
    // A state whose inventory throws makes planMutation fail for a Service with unset ports.
    state.ranges = undefined as never;
    const { status, body } = await post(
      t.app,
      '/mutate',
      loadFixture('mutate-create-service-nodeport-unset'),
    );
    expect(status).toBe(200);
    expect(body.response.allowed).toBe(true);
    expect(body.response.patch).toBeUndefined();
    expect(body.response.warnings[0]).toMatch(/internal error/);
    await t.app.close();
  });
});
