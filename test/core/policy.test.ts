/**
 * The policy file: what an empty or partial file means, and that a schema error names
 * the key at fault (an administrator fixes a typo from the message alone).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, PolicyError, policyFromData } from '../../src/core/policy.js';

describe('policyFromData', () => {
  it('leaves the namespace mode label off when the file does not mention it', () => {
    const p = policyFromData({ mode: 'warn' }, 'policy.yaml');
    expect(p.allowNamespaceModeLabel).toBe(false);
    expect(p.modeLabelAdmins).toEqual({ users: [], groups: [] });
    expect(DEFAULT_POLICY.allowNamespaceModeLabel).toBe(false);
  });

  it.each([
    [{}, 'warn'],
    [{ unknownNodeWrites: 'deny' }, 'deny'],
    [{ unknownNodeWrites: 'warn' }, 'warn'],
  ] as const)('reads unknownNodeWrites from %j as %s', (data, want) => {
    expect(policyFromData(data, 'p').unknownNodeWrites).toBe(want);
  });

  it.each([
    [{ modeLabelAdmins: { users: ['alice'] } }, { users: ['alice'], groups: [] }],
    [{ modeLabelAdmins: { groups: ['platform'] } }, { users: [], groups: ['platform'] }],
    [{ modeLabelAdmins: {} }, { users: [], groups: [] }],
  ])('reads modeLabelAdmins %j', (data, admins) => {
    expect(policyFromData({ allowNamespaceModeLabel: true, ...data }, 'p').modeLabelAdmins).toEqual(admins);
  });

  it.each([
    [{ modeLabelAdmins: { user: ['alice'] } }, '/modeLabelAdmins has unknown key "user"'],
    [{ modeLabelAdmins: { users: 'alice' } }, '/modeLabelAdmins/users must be array'],
    [
      { modeLabelAdmins: { groups: [''] } },
      '/modeLabelAdmins/groups/0 must NOT have fewer than 1 characters',
    ],
    [{ modeLabelAdmins: ['alice'] }, '/modeLabelAdmins must be object'],
    [{ modeLabelAdmin: { users: ['alice'] } }, '/ has unknown key "modeLabelAdmin"'],
    [{ allowNamespaceModeLabel: 'yes' }, '/allowNamespaceModeLabel must be boolean'],
    [{ unknownNodeWrites: 'block' }, '/unknownNodeWrites must be equal to one of the allowed values'],
  ])('rejects %j naming the key', (data, message) => {
    expect(() => policyFromData(data, 'policy.yaml')).toThrow(PolicyError);
    expect(() => policyFromData(data, 'policy.yaml')).toThrow(`policy.yaml: invalid policy: ${message}`);
  });
});
