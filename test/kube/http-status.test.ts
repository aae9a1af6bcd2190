import { describe, expect, it } from 'vitest';
import { httpStatus } from '../../src/kube/http-status.js';
import { ApiException } from '../../src/kube/k8s.js';

describe('httpStatus', () => {
  it("is an ApiException's status", () => {
    for (const code of [404, 409, 410, 403, 500]) {
      expect(httpStatus(new ApiException(code, 'failed', {}, {}))).toBe(code);
    }
  });

  it.each([
    ['a network error', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })],
    ['an aborted request', new DOMException('aborted', 'AbortError')],
    ['an error without a code', new Error('boom')],
    ['undefined', undefined],
    ['null', null],
    ['a string', 'HTTP 404'],
  ])('is undefined for %s', (_, err) => {
    expect(httpStatus(err)).toBeUndefined();
  });
});
