/**
 * The body shape pre-scan: objects and arrays are counted outside strings only, nesting is
 * bounded, and the app refuses a hostile shape within the byte limit with a 413
 * AdmissionReview instead of building it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/server/admission-request.js';
import { jsonShapeProblem, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH } from '../../src/server/json-shape.js';
import { loadFixture, testApp } from './helpers.js';

const small = { maxContainers: 3, maxDepth: 2 };

describe('jsonShapeProblem', () => {
  it.each([
    ['three containers', '{"a":[1],"b":{}}', undefined],
    ['four containers', '[{},{},{}]', 'more than 3 JSON objects and arrays'],
    ['brackets inside a string', '{"s":"[[[{{{}}}]]]"}', undefined],
    ['an escaped quote does not end the string', '{"s":"\\"[[[[{{"}', undefined],
    ['an escaped backslash before the closing quote', '[{"s":"\\\\"},[],[]]', 'more than 3'],
    ['depth two', '[[1]]', undefined],
    ['depth three', '[[[]]]', 'deeper than 2 levels'],
    ['an unclosed string', '["[[[[[[', undefined],
    ['not JSON at all', 'garbage', undefined],
  ])('%s', (_name, body, problem) => {
    const got = jsonShapeProblem(Buffer.from(body), small);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });

  it('the defaults admit the densest named entries that fit the body limit', () => {
    const entry = '{"name":"A"},';
    const body = `[${entry.repeat(Math.floor((BODY_LIMIT_BYTES - 2) / entry.length))}{}]`;
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT_BYTES);
    expect(jsonShapeProblem(Buffer.from(body))).toBeUndefined();
  });

  it("the defaults admit Go's deepest nesting and refuse one level more", () => {
    const nest = (n: number) => Buffer.from(`${'['.repeat(n)}${']'.repeat(n)}`);
    expect(jsonShapeProblem(nest(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonShapeProblem(nest(MAX_JSON_DEPTH + 1))).toContain('deeper');
  });
});

describe('the admission app refuses hostile shapes within the byte limit', () => {
  let app: Awaited<ReturnType<typeof testApp>>['app'];
  beforeAll(async () => {
    app = (await testApp()).app;
  });
  afterAll(async () => {
    await app.close();
  });

  const review = loadFixture('validate-create-service-nodeport-explicit');
  const withPad = (pad: string) =>
    JSON.stringify({
      ...review,
      request: { ...review.request, object: { ...review.request.object, pad: 'PAD' } },
    }).replace('"PAD"', pad);
  const empties = (n: number) => `[${'{},'.repeat(n - 1)}{}]`;

  it.each([
    ['a body of empty objects up to the limit', empties(Math.floor(BODY_LIMIT_BYTES / 3) - 1), 413],
    ['a review carrying one object more than the cap', withPad(empties(MAX_JSON_CONTAINERS)), 413],
    [
      'a review nested one level deeper than Go allows',
      withPad(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`),
      413,
    ],
    ['a review carrying many objects under the cap', withPad(empties(MAX_JSON_CONTAINERS - 100)), 200],
  ])('%s', async (_name, payload, status) => {
    expect(payload.length).toBeLessThanOrEqual(BODY_LIMIT_BYTES);
    const res = await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body.kind).toBe('AdmissionReview');
    if (status === 413) {
      expect(body.response.allowed).toBe(false);
      expect(body.response.status.message).toMatch(/JSON objects and arrays|deeper than/);
    }
  });
});
