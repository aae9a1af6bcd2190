/**
 * The namespace mode label guard as a pure decision: who may set, change or remove
 * `portguard.io/mode`, what an unchanged or invalid label does, and what the denial says.
 */
import { describe, expect, it } from 'vitest';
import { guardModeLabel, type ModeLabelInput, type UserInfo } from '../../src/core/mode-label-guard.js';
import { DEFAULT_POLICY, MODE_LABEL, type Policy } from '../../src/core/policy.js';
import { MAX_SHOWN_REQUEST_CHARS, shownRequestText } from '../../src/core/request-text.js';

const guarded: Policy = {
  ...DEFAULT_POLICY,
  allowNamespaceModeLabel: true,
  modeLabelAdmins: { users: ['root-admin'], groups: ['platform'] },
};
const off: Policy = { ...guarded, allowNamespaceModeLabel: false };

const alice: UserInfo = { username: 'alice', groups: ['dev-team', 'system:authenticated'] };
const admin: UserInfo = { username: 'root-admin', groups: ['system:authenticated'] };
const inPlatform: UserInfo = { username: 'bob', groups: ['platform', 'system:authenticated'] };
const mode = (value?: string): Record<string, string> =>
  value === undefined ? { team: 'a' } : { team: 'a', [MODE_LABEL]: value };

type Case = [
  string,
  Policy,
  ModeLabelInput['operation'],
  string | undefined,
  string | undefined,
  UserInfo | undefined,
  boolean,
  RegExp[],
];

describe('guardModeLabel', () => {
  // name, policy, operation, old value, new value, user, allowed, messages of the findings
  const cases: Case[] = [
    ['admin user sets it', guarded, 'UPDATE', undefined, 'audit', admin, true, []],
    ['admin group changes it', guarded, 'UPDATE', 'warn', 'audit', inPlatform, true, []],
    ['admin group removes it', guarded, 'UPDATE', 'audit', undefined, inPlatform, true, []],
    ['admin creates a namespace with it', guarded, 'CREATE', undefined, 'warn', admin, true, []],
    ['non-admin sets it', guarded, 'UPDATE', undefined, 'audit', alice, false, [/is not one of them/]],
    ['non-admin changes it', guarded, 'UPDATE', 'enforce', 'audit', alice, false, [/is not one of them/]],
    ['non-admin removes it', guarded, 'UPDATE', 'enforce', undefined, alice, false, [/is not one of them/]],
    [
      'non-admin creates with it',
      guarded,
      'CREATE',
      undefined,
      'audit',
      alice,
      false,
      [/is not one of them/],
    ],
    ['non-admin leaves it unchanged', guarded, 'UPDATE', 'audit', 'audit', alice, true, []],
    ['label absent before and after', guarded, 'UPDATE', undefined, undefined, alice, true, []],
    ['label absent on CREATE', guarded, 'CREATE', undefined, undefined, undefined, true, []],
    [
      'missing userInfo sets it',
      guarded,
      'UPDATE',
      undefined,
      'warn',
      undefined,
      false,
      [/a request without a user name is not one/],
    ],
    [
      'userInfo without groups or name',
      guarded,
      'UPDATE',
      undefined,
      'warn',
      {},
      false,
      [/is not one of them/],
    ],
    [
      'admin sets an invalid value',
      guarded,
      'UPDATE',
      undefined,
      'off',
      admin,
      false,
      [/"off" is not a mode; use one of enforce, warn, audit/],
    ],
    [
      'non-admin sets an invalid value',
      guarded,
      'UPDATE',
      'warn',
      'off',
      alice,
      false,
      [/is not one of them/, /"off" is not a mode/],
    ],
    [
      'an invalid value left unchanged',
      guarded,
      'UPDATE',
      'off',
      'off',
      alice,
      true,
      [/"off" is not a mode.*policy mode \(enforce\) applies/],
    ],
    [
      'label off: non-admin sets it',
      off,
      'UPDATE',
      undefined,
      'audit',
      alice,
      true,
      [/is ignored: the policy has allowNamespaceModeLabel: false/],
    ],
    [
      'label off: non-admin creates with an invalid value',
      off,
      'CREATE',
      undefined,
      'off',
      alice,
      true,
      [/is ignored/],
    ],
    ['label off: non-admin removes it', off, 'UPDATE', 'audit', undefined, alice, true, []],
    // oldObject may be present on a CREATE only if a client sends one; CREATE has no "before".
    [
      'CREATE ignores a stray old label',
      guarded,
      'CREATE',
      'audit',
      'audit',
      alice,
      false,
      [/is not one of them/],
    ],
    ['DELETE is not guarded', guarded, 'DELETE', 'audit', undefined, alice, true, []],
  ];

  it.each(cases)('%s', (_name, policy, operation, before, after, user, allowed, messages) => {
    const input: ModeLabelInput = { operation, name: 'shop', newLabels: mode(after) };
    if (before !== undefined || operation === 'UPDATE') input.oldLabels = mode(before);
    if (user) input.user = user;
    const d = guardModeLabel(input, policy);
    expect(d.allowed).toBe(allowed);
    expect(d.findings.map((f) => f.message)).toEqual(messages.map((m) => expect.stringMatching(m)));
    expect(d.denials).toEqual(d.findings.filter((f) => f.severity === 'deny'));
    expect(d.denials.length === 0).toBe(allowed);
    for (const f of d.findings) {
      expect(f).toMatchObject({ rule: 'namespace-mode-label', kind: 'Namespace', name: 'shop' });
      expect(f.path).toBe(`metadata.labels['${MODE_LABEL}']`);
    }
  });

  it('denies in every policy mode: the guard is access control, not a port finding', () => {
    for (const m of ['enforce', 'warn', 'audit'] as const) {
      const d = guardModeLabel(
        { operation: 'UPDATE', name: 'shop', oldLabels: {}, newLabels: mode('audit'), user: alice },
        { ...guarded, mode: m },
      );
      expect(d.allowed, m).toBe(false);
    }
  });

  it('names the label, the policy key and the user with groups other than system:authenticated', () => {
    const d = guardModeLabel(
      { operation: 'UPDATE', name: 'shop', oldLabels: {}, newLabels: mode('audit'), user: alice },
      guarded,
    );
    expect(d.denials[0]?.message).toBe(
      "portguard.io/mode may only be set, changed or removed by the users and groups in the policy's " +
        'modeLabelAdmins; alice (groups dev-team) is not one of them',
    );
  });

  it('caps a long user name and group list in the message', () => {
    const long = 'x'.repeat(10_000);
    const groups = Array.from({ length: 25 }, (_, i) => `g${i}`);
    const d = guardModeLabel(
      {
        operation: 'UPDATE',
        name: 'shop',
        oldLabels: {},
        newLabels: mode('audit'),
        user: { username: long, groups },
      },
      guarded,
    );
    const message = d.denials[0]?.message ?? '';
    expect(message).toContain(`${'x'.repeat(MAX_SHOWN_REQUEST_CHARS - 1)}… (groups g0, `);
    expect(message).not.toContain('x'.repeat(MAX_SHOWN_REQUEST_CHARS));
    expect(message).toContain('g9 and 15 more)');
    expect(message).not.toContain('g10');
  });

  it('matches admins on the full name, not the shown one', () => {
    const name = `${'a'.repeat(300)}`;
    const policy = { ...guarded, modeLabelAdmins: { users: [name.slice(0, 256)], groups: [] } };
    const d = guardModeLabel(
      {
        operation: 'UPDATE',
        name: 'shop',
        oldLabels: {},
        newLabels: mode('audit'),
        user: { username: name },
      },
      policy,
    );
    expect(d.allowed).toBe(false);
  });
});

describe('shownRequestText', () => {
  it.each([
    ['alice', 'alice'],
    ['evil\u001b[2Jname', 'evil\uFFFD[2Jname'],
    ['line\nbreak', 'line\uFFFDbreak'],
    ['lone \uD800 surrogate', 'lone \uFFFD surrogate'],
    ['😀'.repeat(300), `${'😀'.repeat(255)}…`],
    ['y'.repeat(257), `${'y'.repeat(255)}…`],
    ['y'.repeat(256), 'y'.repeat(256)],
  ])('%#: shows %j capped and clean', (text, shown) => {
    expect(shownRequestText(text)).toBe(shown);
  });
});
