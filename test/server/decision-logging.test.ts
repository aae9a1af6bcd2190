import { describe, expect, it } from 'vitest';
import { decisionLogLevel } from '../../src/server/admission-routes.js';
import { endpointOf, fixtureNames, type Json, loadFixture, post, testApp } from './helpers.js';

type Result = Parameters<typeof decisionLogLevel>[0];

describe('decisionLogLevel', () => {
  it.each<[string, Result, 'info' | 'debug']>([
    ['a clean admission', { decision: 'allowed', rules: [], outcome: { allowed: true } }, 'debug'],
    [
      'an admission with findings',
      { decision: 'allowed', rules: ['hostnetwork-port-in-ephemeral-range'], outcome: { allowed: true } },
      'info',
    ],
    [
      'an admission with a mutation note',
      {
        decision: 'allowed',
        rules: [],
        outcome: { allowed: true, warnings: ['portguard: no free nodePort'] },
      },
      'info',
    ],
    [
      'a denial',
      { decision: 'denied', rules: ['nodeport-in-ephemeral-range'], outcome: { allowed: false } },
      'info',
    ],
    ['a patch', { decision: 'patched', rules: [], outcome: { allowed: true, patch: [] } }, 'info'],
  ])('%s is logged at %s', (_name, result, level) => {
    expect(decisionLogLevel(result)).toBe(level);
  });
});

describe('decision logging at the default level (info)', () => {
  it.each(fixtureNames())('%s: a line exactly when the answer is not a clean admission', async (name) => {
    const t = await testApp({ logLevel: 'info' });
    const review = loadFixture(name);
    const { body } = await post(t.app, endpointOf(name), review);
    const r: Json = body.response;
    const noteworthy =
      !r.allowed ||
      r.patch !== undefined ||
      (r.warnings?.length ?? 0) > 0 ||
      r.auditAnnotations?.findings !== undefined;
    const lines = t.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'admission decision');
    expect(lines).toHaveLength(noteworthy ? 1 : 0);
    if (noteworthy) expect(lines[0]).toMatchObject({ uid: review.request.uid, level: 30 });
    await t.app.close();
  });

  it('a clean admission is still logged at debug', async () => {
    const t = await testApp({ logLevel: 'debug' });
    const review = loadFixture('validate-create-service-nodeport-explicit');
    // A DELETE is admitted without findings: the cleanest admission there is.
    review.request.operation = 'DELETE';
    review.request.oldObject = review.request.object;
    review.request.object = null;
    const { body } = await post(t.app, '/validate', review);
    expect(body.response.warnings).toBeUndefined();
    const lines = t.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'admission decision');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ uid: review.request.uid, level: 20, decision: 'allowed' });
    await t.app.close();
  });
});
