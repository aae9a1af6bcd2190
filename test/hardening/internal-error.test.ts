/**
 * An exception inside portguard must never admit a conflicting object. Two layers are
 * proven here through the webhook: a rule that throws becomes an `internal-error` deny
 * finding in the core (the other rules still run), and an exception that escapes the
 * reviewer becomes `allowed: false` with status 500 on /validate. /mutate fails open
 * (admitted unchanged, with a warning) because validation remains the gate.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.js';
import { createReviewer } from '../../src/core/review.js';
import type { Rule } from '../../src/core/rule-context.js';
import { ruleMetaOf } from '../../src/rules/catalog.js';
import { RULES } from '../../src/rules/index.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { loadFixture, post, stateWith, testApp, WIDENED } from '../server/helpers.js';
import { expectNoLeak } from './helpers.js';

const SECRET = 'hunter2-from-the-rule';

const throwing = (what: () => never): Rule => ({
  meta: ruleMetaOf('nodeport-in-ephemeral-range'),
  evaluate: what,
});

const RULE_FAILURES: [string, Rule][] = [
  [
    'throws an Error with a secret in its message',
    throwing(() => {
      throw new Error(SECRET);
    }),
  ],
  [
    'throws a string',
    throwing(() => {
      throw SECRET;
    }),
  ],
  [
    'throws undefined',
    throwing(() => {
      throw undefined;
    }),
  ],
  [
    'overflows the stack',
    throwing(() => {
      const f = (n: number): number => f(n + 1) + 1;
      f(0);
      throw new Error('unreachable');
    }),
  ],
  // A rule returning garbage fails where its result is used, inside the same guard.
  [
    'returns undefined',
    { meta: ruleMetaOf('nodeport-in-ephemeral-range'), evaluate: () => undefined as never },
  ],
];

const conflicting = loadFixture('validate-create-service-nodeport-explicit');
const clean = loadFixture('validate-create-service-clusterip-to-nodeport');
const podFixture = loadFixture('validate-create-pod-hostnetwork-init-sysctl');

async function appWithRules(rules: readonly Rule[], policy: Policy = DEFAULT_POLICY) {
  const reviewer = createReviewer({ scripts: await createScriptAnalyzer(), rules });
  return testApp({ reviewer, policy, state: stateWith({ 'worker-1': WIDENED }) });
}

describe('a rule that fails', () => {
  it.each(RULE_FAILURES)('%s: /validate denies the conflicting Service', async (_name, bad) => {
    const t = await appWithRules([bad, ...RULES.filter((r) => r.meta.id !== bad.meta.id)]);
    const { status, body } = await post(t.app, '/validate', conflicting);
    expect(status).toBe(200);
    expect(body.response.uid).toBe(conflicting.request.uid);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.code).toBe(403);
    expect(body.response.status.message).toMatch(/internal-error/);
    expect(body.response.auditAnnotations.rules).toContain('internal-error');
    const text = JSON.stringify(body);
    expect(text).not.toContain(SECRET);
    expectNoLeak(text);
    expect(t.lines.join('')).not.toContain(SECRET);
    await t.app.close();
  });

  it.each(RULE_FAILURES)('%s: /validate denies even an object that would pass', async (_name, bad) => {
    const t = await appWithRules([bad]);
    const { body } = await post(t.app, '/validate', clean);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toMatch(/not fully checked/);
    await t.app.close();
  });

  it('the other rules still report their own findings next to the internal error', async () => {
    const bad = RULE_FAILURES[0]![1];
    const t = await appWithRules([
      { ...bad, meta: ruleMetaOf('hostnetwork-port-in-ephemeral-range') },
      ...RULES,
    ]);
    const { body } = await post(t.app, '/validate', podFixture);
    expect(body.response.allowed).toBe(false);
    const rules = body.response.auditAnnotations.rules.split(',');
    expect(rules).toEqual(expect.arrayContaining(['internal-error', 'port-range-overlaps-nodeports']));
    await t.app.close();
  });

  it('an administrator exemption that covers everything does not cover an internal error', async () => {
    const bad = RULE_FAILURES[0]![1];
    const policy: Policy = { ...DEFAULT_POLICY, exemptions: [{ namespaces: ['shop'] }] };
    const t = await appWithRules([bad], policy);
    const { body } = await post(t.app, '/validate', conflicting);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toMatch(/internal-error/);
    await t.app.close();
  });

  it('on UPDATE an internal error is never treated as a preexisting, non-blocking finding', async () => {
    const bad = RULE_FAILURES[0]![1];
    const t = await appWithRules([bad]);
    const update = loadFixture('validate-update-service-nodeport-explicit');
    const { body } = await post(t.app, '/validate', update);
    expect(body.response.allowed).toBe(false);
    await t.app.close();
  });
});

describe('an exception that escapes the reviewer', () => {
  const broken: [string, (t: Awaited<ReturnType<typeof testApp>>) => void][] = [
    [
      'getState throws',
      (t) => {
        t.deps.getState = () => {
          throw new Error(SECRET);
        };
      },
    ],
    [
      'getPolicy throws',
      (t) => {
        t.deps.getPolicy = () => {
          throw new Error(SECRET);
        };
      },
    ],
    [
      'namespaceLabels throws',
      (t) => {
        t.deps.namespaceLabels = () => {
          throw new Error(SECRET);
        };
      },
    ],
  ];

  it.each(broken)(
    '%s: /validate answers allowed: false with 500 and a generic reason',
    async (_n, breakIt) => {
      const t = await testApp({ state: stateWith({ 'worker-1': WIDENED }) });
      breakIt(t);
      for (const review of [conflicting, clean, podFixture]) {
        const { status, body } = await post(t.app, '/validate', review);
        expect(status).toBe(200);
        expect(body.response.uid).toBe(review.request.uid);
        expect(body.response.allowed).toBe(false);
        expect(body.response.status.code).toBe(500);
        expect(JSON.stringify(body)).not.toContain(SECRET);
        expectNoLeak(JSON.stringify(body));
      }
      // The stack goes to the log (for the operator), never to the client.
      expect(t.lines.join('')).toContain('review failed');
      await t.app.close();
    },
  );

  it('an inventory that throws on any access: conflicting objects are still denied', async () => {
    const t = await testApp({ state: stateWith({ 'worker-1': WIDENED }) });
    t.state.inventory = new Proxy({} as never, {
      get() {
        throw new Error(SECRET);
      },
    });
    for (const review of [conflicting, podFixture]) {
      const { status, body } = await post(t.app, '/validate', review);
      expect(status).toBe(200);
      expect(body.response.allowed).toBe(false);
      expect([403, 500]).toContain(body.response.status.code);
      expect(JSON.stringify(body)).not.toContain(SECRET);
      expectNoLeak(JSON.stringify(body));
    }
    await t.app.close();
  });

  it.each(broken)(
    '%s: /mutate admits unchanged with a warning (failurePolicy Ignore side)',
    async (_n, breakIt) => {
      const t = await testApp({ state: stateWith({ 'worker-1': WIDENED }) });
      breakIt(t);
      const review = loadFixture('mutate-create-service-nodeport-unset');
      const { status, body } = await post(t.app, '/mutate', review);
      expect(status).toBe(200);
      expect(body.response.allowed).toBe(true);
      expect(body.response.patch).toBeUndefined();
      expect(JSON.stringify(body)).not.toContain(SECRET);
      await t.app.close();
    },
  );
});
