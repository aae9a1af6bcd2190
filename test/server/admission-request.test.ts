/**
 * The envelope's errors are worded by the shared schema-error formatter (src/core/schema-errors.ts),
 * like the policy file's and the node data's, after the same fixed prefix.
 */
import { describe, expect, it } from 'vitest';
import { MalformedReviewError, parseAdmissionReview } from '../../src/server/admission-request.js';

const PREFIX = 'not a valid AdmissionReview (admission.k8s.io/v1): ';
const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    kind: { group: '', version: 'v1', kind: 'Service' },
    operation: 'CREATE',
    object: {},
  },
};
const withRequest = (fields: Record<string, unknown>) => ({
  ...review,
  request: { ...review.request, ...fields },
});

function messageOf(body: unknown): string {
  try {
    parseAdmissionReview(body);
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedReviewError);
    return (err as Error).message;
  }
  throw new Error('parsed');
}

describe('parseAdmissionReview errors', () => {
  it.each([
    ['an array', [], '/ must be object (got an array)'],
    [
      'a wrong apiVersion',
      { ...review, apiVersion: 'admission.k8s.io/v1beta1' },
      '/apiVersion must be equal to constant',
    ],
    ['no request', { apiVersion: review.apiVersion, kind: review.kind }, '/ is missing the key "request"'],
    ['a numeric uid', withRequest({ uid: 7 }), '/request/uid must be string (got 7)'],
    [
      'an unknown operation',
      withRequest({ operation: 'PATCH' }),
      '/request/operation must be one of CREATE, UPDATE, DELETE, CONNECT (got "PATCH")',
    ],
    ['no request.kind', withRequest({ kind: undefined }), '/request is missing the key "kind"'],
  ])('%s', (_, body, detail) => {
    expect(messageOf(body)).toBe(PREFIX + detail);
  });

  it('shows a map or an array (the object under review) by its type only', () => {
    expect(messageOf(withRequest({ oldObject: ['secret'] }))).toBe(
      `${PREFIX}/request/oldObject must be object (got an array); /request/oldObject must be null (got an array); ` +
        '/request/oldObject must match a schema in anyOf',
    );
  });

  it('lists at most five distinct problems', () => {
    const bad = {
      apiVersion: 'x',
      kind: 'y',
      request: { uid: 1, kind: 2, operation: 3, name: 4, dryRun: 5 },
    };
    const detail = messageOf(bad).slice(PREFIX.length).split('; ');
    expect(detail).toHaveLength(5);
    expect(new Set(detail).size).toBe(5);
  });

  it('echoes the uid when it is readable', () => {
    try {
      parseAdmissionReview(withRequest({ operation: 'PATCH' }));
    } catch (err) {
      expect((err as MalformedReviewError).uid).toBe('u-1');
    }
    expect.assertions(1);
  });
});
