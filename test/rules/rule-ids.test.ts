/** The rule catalog (src/rules/catalog.ts) agrees with what runs the rules and what reads their ids. */
import { describe, expect, it } from 'vitest';
import { policyFromData } from '../../src/core/policy.js';
import { NODEPORT_MOVE_RULE_IDS, RULE_METAS } from '../../src/rules/catalog.js';
import { RULES } from '../../src/rules/index.js';

describe('rule ids', () => {
  it('lists each id once, the object rules first in the order review() runs them', () => {
    const ids = RULE_METAS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, RULES.length)).toEqual(RULES.map((r) => r.meta.id));
  });

  it('audit --fix moves the nodePort for exactly the Service port rules', () => {
    expect([...NODEPORT_MOVE_RULE_IDS].sort()).toEqual([
      'nodeport-host-listener-collision',
      'nodeport-hostport-collision',
      'nodeport-in-ephemeral-range',
    ]);
  });

  it('every rule has help for SARIF and the CLI', () => {
    expect(RULES.filter((r) => !r.meta.help).map((r) => r.meta.id)).toEqual([]);
  });

  it.each(RULE_METAS.filter((m) => m.exemptions !== 'refused').map((m) => m.id))(
    'the policy can exempt %s',
    (id) => {
      expect(() => policyFromData({ exemptions: [{ rules: [id] }] }, 'test')).not.toThrow();
    },
  );

  it.each(RULE_METAS.filter((m) => m.exemptions === 'refused').map((m) => m.id))(
    'the policy refuses an exemption from %s',
    (id) => {
      expect(() => policyFromData({ exemptions: [{ rules: [id] }] }, 'test')).toThrow(/invalid policy/);
    },
  );
});
