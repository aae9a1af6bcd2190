/** The places that enumerate rule ids by hand agree: RULES, the CLI's rule help and the policy schema. */
import { describe, expect, it } from 'vitest';
import { RULE_HELP } from '../../src/cli/format/rule-help.js';
import { policyFromData } from '../../src/core/policy.js';
import { RULES } from '../../src/rules/index.js';

describe('rule ids', () => {
  it('every rule has help for SARIF and the CLI', () => {
    const helped = new Set(RULE_HELP.map((h) => h.id));
    expect(RULES.map((r) => r.id).filter((id) => !helped.has(id))).toEqual([]);
  });

  it.each(RULE_HELP.map((h) => h.id))('the policy can exempt %s', (id) => {
    expect(() => policyFromData({ exemptions: [{ rules: [id] }] }, 'test')).not.toThrow();
  });
});
