import { describe, expect, it } from 'vitest';
import {
  allowed,
  completeResponse,
  denied,
  errored,
  MAX_WARNINGS_TOTAL_CHARS,
  patched,
  sanitizeWarning,
  sanitizeWarnings,
  withAuditAnnotations,
  withWarnings,
} from '../../src/server/admission-response.js';

describe('completeResponse', () => {
  it('echoes the uid and the envelope', () => {
    expect(completeResponse('u-1', allowed(), 'validate')).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: true },
    });
  });

  it('denies with 403 Forbidden and the message', () => {
    expect(completeResponse('u', denied('no'), 'validate').response).toEqual({
      uid: 'u',
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: 'no' },
    });
  });

  it('reports errors with their code', () => {
    expect(completeResponse('u', errored(500, 'boom'), 'validate').response.status).toEqual({
      code: 500,
      message: 'boom',
    });
  });

  it('encodes a patch as base64 JSONPatch on mutate only', () => {
    const ops = [{ op: 'add' as const, path: '/spec/x', value: 1 }];
    const m = completeResponse('u', patched(ops), 'mutate').response;
    expect(m.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(m.patch!, 'base64').toString())).toEqual(ops);
    const v = completeResponse('u', patched(ops), 'validate').response;
    expect(v.patch).toBeUndefined();
    expect(v.patchType).toBeUndefined();
  });

  it('leaves out an empty patch', () => {
    const r = completeResponse('u', patched([]), 'mutate').response;
    expect(r).toEqual({ uid: 'u', allowed: true });
  });

  it('keeps audit annotation keys plain and rejects prefixed ones', () => {
    const ok = withAuditAnnotations(allowed(), { decision: 'allowed', rules: 'a,b' });
    expect(completeResponse('u', ok, 'validate').response.auditAnnotations).toEqual({
      decision: 'allowed',
      rules: 'a,b',
    });
    const bad = withAuditAnnotations(allowed(), { 'portguard.io/decision': 'x' });
    expect(() => completeResponse('u', bad, 'validate')).toThrow(/audit annotation key/);
  });

  it.each([
    ['allowed', 'allowed'],
    ['rule-a,rule-b', 'rule-a,rule-b'],
    ['with\nnewline', 'with newline'],
    ['x'.repeat(600), `${'x'.repeat(511)}…`],
  ])('audit annotation value %j is sent as %j', (value, want) => {
    const r = completeResponse('u', withAuditAnnotations(allowed(), { decision: value }), 'validate');
    expect(r.response.auditAnnotations).toEqual({ decision: want });
  });

  it('adds warnings after sanitising them', () => {
    const r = completeResponse('u', withWarnings(allowed(), ['a\nb', 'a\nb', '']), 'validate').response;
    expect(r.warnings).toEqual(['a b']);
  });
});

describe('sanitizeWarning', () => {
  it.each([
    ['short text', 'short text'],
    ['tab\there', 'tab here'],
    ['bell\u0007 and DEL\u007f', 'bell and DEL'],
    ['lone \uD800 surrogate', 'lone \uFFFD surrogate'],
    // Printable ASCII takes a fast path; these must still be cleaned like any other text.
    ['double  space', 'double space'],
    [' leading and trailing ', 'leading and trailing'],
    ['', ''],
    ['rule: port 30080/TCP [nodes a, b]', 'rule: port 30080/TCP [nodes a, b]'],
    ['x'.repeat(120), 'x'.repeat(120)],
    // Clean non-ASCII text (wrapped findings' "…") takes the fast path too; unclean still is cleaned.
    ['… continued text', '… continued text'],
    ['déjà  vu\t', 'déjà vu'],
    ['🚀 lift-off', '🚀 lift-off'],
    ['\u00a0nbsp trimmed like a space', 'nbsp trimmed like a space'],
    ['é'.repeat(121), `${'é'.repeat(119)}…`],
  ])('%j → %j', (input, want) => {
    expect(sanitizeWarning(input)).toBe(want);
  });

  it.each([121, 200, 5000])('cuts %i characters to at most 120 code points', (n) => {
    const w = sanitizeWarning('word '.repeat(n));
    expect([...w].length).toBeLessThanOrEqual(120);
    expect(w.endsWith('…')).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const w = sanitizeWarning('🚀'.repeat(200));
    expect(w).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect([...w].length).toBe(120);
  });
});

describe('sanitizeWarnings', () => {
  it('caps the total well under 4096 characters', () => {
    const many = Array.from({ length: 200 }, (_, i) => `warning number ${i} `.padEnd(119, 'x'));
    const out = sanitizeWarnings(many);
    const total = out.reduce((n, w) => n + [...w].length, 0);
    expect(total).toBeLessThanOrEqual(MAX_WARNINGS_TOTAL_CHARS);
    expect(out.at(-1)).toMatch(/more warning\(s\) omitted/);
  });
});
