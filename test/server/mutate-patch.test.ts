import jsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { planMutation } from '../../src/core/mutate.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { withoutManagedFields } from '../../src/server/mutate-handler.js';
import { decodePatch, fixtureNames, type Json, loadFixture, post, testApp } from './helpers.js';

const mutateFixtures = fixtureNames().filter((n) => n.startsWith('mutate-'));

describe('withoutManagedFields', () => {
  it.each([
    ['no metadata', { kind: 'Service' }],
    ['metadata without managedFields', { kind: 'Service', metadata: { name: 'a' } }],
    ['not an object', 'text'],
    ['null', null],
  ])('%s: returned as is', (_name, object) => {
    expect(withoutManagedFields(object)).toBe(object);
  });

  it('drops only managedFields and leaves the input untouched', () => {
    const object = {
      kind: 'Service',
      metadata: { name: 'a', managedFields: [{ manager: 'kubectl' }] },
      spec: {},
    };
    const before = structuredClone(object);
    expect(withoutManagedFields(object)).toEqual({ kind: 'Service', metadata: { name: 'a' }, spec: {} });
    expect(object).toEqual(before);
  });
});

describe('/mutate patches equal a diff of the whole object', () => {
  it('fixtures with managedFields are patched (so the comparison below compares something)', async () => {
    const t = await testApp();
    let patchedWithFields = 0;
    for (const name of mutateFixtures) {
      const review = loadFixture(name);
      const { body } = await post(t.app, '/mutate', review);
      if (body.response.patch && review.request.object?.metadata?.managedFields) patchedWithFields++;
    }
    expect(patchedWithFields).toBeGreaterThan(0);
    await t.app.close();
  });

  it.each(mutateFixtures)('%s', async (name) => {
    const t = await testApp();
    const review = loadFixture(name);
    const { body } = await post(t.app, '/mutate', review);
    const sent = decodePatch(body.response);
    const reference = planMutation(review.request.object, t.state, DEFAULT_POLICY, () => 0.5);
    const want = reference.changed ? jsonPatch.compare(review.request.object, reference.object) : [];
    expect(sent).toEqual(want);
    if (sent.length > 0) {
      const patched: Json = jsonPatch.applyPatch(structuredClone(review.request.object), sent).newDocument;
      expect(patched).toEqual(reference.object);
    }
    await t.app.close();
  });
});
