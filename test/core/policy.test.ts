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
    [
      { modeLabelAdmins: { user: ['alice'] } },
      'unknown key "user" at /modeLabelAdmins; did you mean "users"?',
    ],
    [{ modeLabelAdmins: { users: 'alice' } }, '/modeLabelAdmins/users must be array (got "alice")'],
    [
      { modeLabelAdmins: { groups: [''] } },
      '/modeLabelAdmins/groups/0 must NOT have fewer than 1 characters',
    ],
    [{ modeLabelAdmins: ['alice'] }, '/modeLabelAdmins must be object (got an array)'],
    [
      { modeLabelAdmin: { users: ['alice'] } },
      'unknown key "modeLabelAdmin" at /; did you mean "modeLabelAdmins"?',
    ],
    [{ exemption: [] }, 'unknown key "exemption" at /; did you mean "exemptions"?'],
    [{ allowNamespaceModeLabel: 'yes' }, '/allowNamespaceModeLabel must be boolean (got "yes")'],
    [
      { mode: 'enforced' },
      '/mode must be one of enforce, warn, audit (got "enforced"); did you mean "enforce"?',
    ],
    [{ unknownNodeWrites: 'block' }, '/unknownNodeWrites must be one of warn, deny (got "block")'],
    [{ exemptions: [{}] }, '/exemptions/0 must NOT have fewer than 1 properties'],
    [
      { exemptions: [{ namespace: ['a'] }] },
      'unknown key "namespace" at /exemptions/0; did you mean "namespaces"?',
    ],
    [
      { mutations: { reservePort: false } },
      'unknown key "reservePort" at /mutations; did you mean "reservePorts"?',
    ],
    [
      { exemptions: [{ rules: ['nodeport-in-ephemeral-rnage'] }] },
      '(got "nodeport-in-ephemeral-rnage"); did you mean "nodeport-in-ephemeral-range"?',
    ],
    ['enforce', '/ must be object (got "enforce")'],
  ])('rejects %j naming the key', (data, message) => {
    expect(() => policyFromData(data, 'policy.yaml')).toThrow(PolicyError);
    expect(() => policyFromData(data, 'policy.yaml')).toThrow(message);
    expect(() => policyFromData(data, 'policy.yaml')).toThrow(/^policy\.yaml: invalid policy: /);
  });

  it('says each problem once, on a line of its own that names the file', () => {
    const data = {
      mode: 'enforced',
      exemption: [],
      exemptions: [{ namespace: ['a'], rule: ['x'] }, { namespace: ['b'] }],
    };
    expect(() => policyFromData(data, 'p.yaml')).toThrow(
      [
        'p.yaml: invalid policy: unknown key "exemption" at /; did you mean "exemptions"?',
        'p.yaml: invalid policy: /mode must be one of enforce, warn, audit (got "enforced"); did you mean "enforce"?',
        'p.yaml: invalid policy: unknown key "namespace" at /exemptions/0; did you mean "namespaces"?',
        'p.yaml: invalid policy: unknown key "rule" at /exemptions/0; did you mean "rules"?',
        'p.yaml: invalid policy: unknown key "namespace" at /exemptions/1; did you mean "namespaces"?',
      ].join('\n'),
    );
  });
});
