/**
 * /mutate leaves an object alone where the policy exempts it from the rule a mutation
 * prevents: the rule's metadata names that mutation (`fixedBy`).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { RULE_METAS } from '../../src/rules/catalog.js';
import { loadFixture, post, stateWith, testApp } from './helpers.js';

/** A fixture each mutation patches under the default policy. */
const PATCHED_BY = {
  assignNodePorts: 'mutate-create-service-nodeport-unset',
  reservePorts: 'mutate-create-pod-securitycontext-sysctls',
} as const;

async function patchOf(fixture: string, rules?: string[]) {
  const policy = rules
    ? { ...DEFAULT_POLICY, exemptions: [{ rules: rules as (typeof RULE_METAS)[number]['id'][] }] }
    : DEFAULT_POLICY;
  // The top of the NodePort range is ephemeral on worker-1 and the rest is free to assign.
  const t = await testApp({
    policy,
    state: stateWith({ 'worker-1': '{"ipLocalPortRange": "32000 60999"}' }),
  });
  const { body } = await post(t.app, '/mutate', loadFixture(fixture));
  await t.app.close();
  return body.response.patch as string | undefined;
}

describe('/mutate and exemptions', () => {
  it('every mutation is named by a rule', () => {
    expect(RULE_METAS.flatMap((m) => (m.fixedBy ? [m.fixedBy] : [])).sort()).toEqual(
      Object.keys(PATCHED_BY).sort(),
    );
  });

  it.each(RULE_METAS.flatMap((m) => (m.fixedBy ? [[m.id, PATCHED_BY[m.fixedBy]] as const] : [])))(
    'an exemption from %s switches its mutation off for the object',
    async (rule, fixture) => {
      expect(await patchOf(fixture)).toBeDefined();
      expect(await patchOf(fixture, ['hazardous-node-sysctl'])).toBeDefined();
      expect(await patchOf(fixture, [rule])).toBeUndefined();
    },
  );
});
