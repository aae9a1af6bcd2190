/**
 * The mode label guard through POST /validate, on the golden AdmissionReview in which
 * alice (group dev-team) sets `portguard.io/mode: audit` on namespace `fixtures`.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, MODE_LABEL, type Policy } from '../../src/core/policy.js';
import { type Json, loadFixture, post, testApp } from './helpers.js';

const byEditor = loadFixture('validate-update-namespace-mode-label-by-editor');
const guarded = (admins: Partial<Policy['modeLabelAdmins']> = {}): Policy => ({
  ...DEFAULT_POLICY,
  allowNamespaceModeLabel: true,
  modeLabelAdmins: { users: [], groups: [], ...admins },
});
const NOT_ADMIN =
  "portguard.io/mode may only be set, changed or removed by the users and groups in the policy's " +
  'modeLabelAdmins; alice (groups dev-team) is not one of them';

async function validate(policy: Policy, review: Json = byEditor) {
  const t = await testApp({ policy });
  const { status, body } = await post(t.app, '/validate', review);
  const metrics = await t.metrics.registry.metrics();
  await t.app.close();
  expect(status).toBe(200);
  expect(body.response.uid).toBe(review.request.uid);
  return { response: body.response, metrics };
}

function edited(edit: (request: Json) => void): Json {
  const copy = structuredClone(byEditor);
  edit(copy.request);
  return copy;
}

describe('mode label guard on POST /validate', () => {
  it('denies alice when the policy enables the label without her as admin', async () => {
    const { response, metrics } = await validate(guarded({ users: ['root-admin'], groups: ['platform'] }));
    expect(response.allowed).toBe(false);
    expect(response.status).toEqual({
      code: 403,
      reason: 'Forbidden',
      message: `portguard denied Namespace fixtures: [namespace-mode-label] metadata.labels['${MODE_LABEL}']: ${NOT_ADMIN}`,
    });
    expect(response.auditAnnotations).toMatchObject({ decision: 'denied', rules: 'namespace-mode-label' });
    expect(metrics).toContain(
      'portguard_findings_total{rule="namespace-mode-label",severity="deny",mode="enforce"} 1',
    );
  });

  it.each([
    ['her group is listed', { groups: ['dev-team'] }],
    ['her user name is listed', { users: ['alice'] }],
  ])('allows alice when %s', async (_name, admins) => {
    const { response } = await validate(guarded(admins));
    expect(response.allowed).toBe(true);
    expect(response.warnings).toBeUndefined();
    expect(response.auditAnnotations).toMatchObject({ decision: 'allowed' });
  });

  it('allows the label with a warning that it is ignored under the shipped default', async () => {
    const { response } = await validate(DEFAULT_POLICY);
    expect(response.allowed).toBe(true);
    expect(response.warnings.join(' ')).toMatch(
      /^namespace-mode-label: portguard\.io\/mode is ignored: the policy has allowNamespaceModeLabel: false/,
    );
  });

  it('denies in audit mode too: the guard is not a port finding', async () => {
    const { response } = await validate({ ...guarded(), mode: 'audit' });
    expect(response.allowed).toBe(false);
    expect(response.status.message).toContain(NOT_ADMIN);
  });

  it('allows anyone an update that leaves the label as it was', async () => {
    const unchanged = edited((r) => {
      r.oldObject.metadata.labels[MODE_LABEL] = 'audit';
      r.object.metadata.labels.team = 'b';
    });
    const { response } = await validate(guarded(), unchanged);
    expect(response.allowed).toBe(true);
  });

  it('denies an admin an invalid value, listing the valid modes', async () => {
    const invalid = edited((r) => (r.object.metadata.labels[MODE_LABEL] = 'off'));
    const { response } = await validate(guarded({ groups: ['dev-team'] }), invalid);
    expect(response.allowed).toBe(false);
    expect(response.status.message).toContain(
      'portguard.io/mode: "off" is not a mode; use one of enforce, warn, audit',
    );
    expect(response.status.message).not.toContain('modeLabelAdmins');
  });

  it.each([
    ['without userInfo', (r: Json) => delete r.userInfo],
    ['with userInfo null', (r: Json) => (r.userInfo = null)],
    ['with a malformed userInfo', (r: Json) => (r.userInfo = { username: 42, groups: 'dev-team' })],
  ])('treats a request %s as no admin (not as a malformed review)', async (_name, edit) => {
    const { response } = await validate(guarded({ groups: ['dev-team'] }), edited(edit));
    expect(response.allowed).toBe(false);
    expect(response.status.code).toBe(403);
    expect(response.status.message).toContain('a request without a user name is not one of them');
  });

  it('keeps the string groups of a partly malformed userInfo', async () => {
    const partly = edited((r) => (r.userInfo.groups = [7, 'dev-team', null]));
    const { response } = await validate(guarded({ groups: ['dev-team'] }), partly);
    expect(response.allowed).toBe(true);
  });

  it('caps a long user name in the denial', async () => {
    const long = edited((r) => (r.userInfo.username = `${'x'.repeat(5000)}\u001b[2J`));
    const { response } = await validate(guarded(), long);
    expect(response.allowed).toBe(false);
    expect(response.status.message).toContain(`${'x'.repeat(255)}… (groups dev-team)`);
    expect(response.status.message).not.toContain('x'.repeat(256));
    expect(response.status.message).not.toContain('\u001b');
  });

  it('leaves other kinds to the rules: a Service is not judged by who sent it', async () => {
    const service = loadFixture('validate-create-service-nodeport-explicit');
    const { response } = await validate(
      guarded({ users: [service.request.userInfo?.username ?? 'nobody'] }),
      service,
    );
    expect(response.allowed).toBe(false);
    expect(response.auditAnnotations.rules).toBe('nodeport-in-ephemeral-range');
  });
});
