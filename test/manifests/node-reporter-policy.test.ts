/**
 * The ValidatingAdmissionPolicy that keeps each node reporter to its own report object,
 * as built from the base and judged like the apiserver would (./admission-policy.ts), against
 * the requests a real kube-apiserver v1.32 sent for a reporter on worker-1 and cases derived
 * from them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AdmissionRequest, judge } from './admission-policy.js';
import { buildWithComponents, find, kustomize, MANIFESTS } from './kustomize.js';

const NAME = 'portguard-node-reporter-own-key';
const base = kustomize(join(MANIFESTS, 'base'));
const policy = find(base, 'ValidatingAdmissionPolicy', NAME);

const fixtureDir = resolve(MANIFESTS, '../../shared/fixtures/admission');
const load = (name: string): AdmissionRequest =>
  JSON.parse(readFileSync(join(fixtureDir, `validate-update-configmap-ranges-${name}.json`), 'utf8')).request;
const own = load('own-node-key');
const other = load('other-node-key');

const reporterSa = find(base, 'DaemonSet', 'portguard-node-reporter').spec.template.spec.serviceAccountName;
const REPORTER = `system:serviceaccount:portguard-system:${reporterSa}`;
const NODE_NAME = 'authentication.kubernetes.io/node-name';
const OWN = 'portguard-node-ranges.worker-1';
const ENTRY = '{"ipLocalPortRange":"32768 60999","ipLocalReservedPorts":""}';

type Change = (request: AdmissionRequest) => void;

/** The reporter on worker-1 creating its report object, with the golden request's userInfo. */
function createOwn(): AdmissionRequest {
  const r = structuredClone(own);
  r.operation = 'CREATE';
  r.name = OWN;
  r.oldObject = null;
  r.object = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: OWN, namespace: 'portguard-system', labels: { 'portguard.io/node-report': 'v1' } },
    data: { 'node.worker-1': ENTRY },
  };
  return r;
}
function derive(change: Change): AdmissionRequest {
  const r = createOwn();
  change(r);
  return r;
}
const named =
  (name: string): Change =>
  (r) => {
    r.name = name;
    if (r.object) r.object.metadata.name = name;
  };
const asUser =
  (username: string): Change =>
  (r) => {
    r.userInfo = { username, groups: ['system:authenticated'] };
  };
const asUpdate: Change = (r) => {
  r.operation = 'UPDATE';
  r.oldObject = structuredClone(r.object);
};

const both =
  (...changes: Change[]): Change =>
  (r) => {
    for (const c of changes) c(r);
  };

describe('node reporter policy, as built', () => {
  it('binds the policy with Deny, fails closed, and names the reporter ServiceAccount of the DaemonSet', () => {
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(find(base, 'ValidatingAdmissionPolicyBinding', NAME).spec).toEqual({
      policyName: NAME,
      validationActions: ['Deny'],
    });
    expect(reporterSa).toBe('portguard-node-reporter');
    expect(policy.spec.matchConditions.map((c: { expression: string }) => c.expression)).toEqual([
      `request.userInfo.username == '${REPORTER}'`,
    ]);
  });

  it('the golden fixtures come from that ServiceAccount on worker-1', () => {
    for (const r of [own, other]) {
      expect(r.userInfo.username).toBe(REPORTER);
      expect(r.userInfo.extra[NODE_NAME]).toEqual(['worker-1']);
    }
  });

  // Reporters write report objects now; the ranges ConfigMap is the admins' (and the leader's).
  it.each([
    ['own', own],
    ['other', other],
  ])('denies the golden %s-key patch of the ranges ConfigMap, naming the object it may write', (_n, r) => {
    expect(judge(policy, r)).toEqual({
      matched: true,
      allowed: false,
      messages: [
        'the node reporter on node worker-1 may write only its own report object portguard-node-ranges.worker-1, not ConfigMap portguard-node-ranges',
      ],
    });
  });

  // [name, change to the create of its own report, allowed, text every message must contain]
  const reporterCases: [string, Change, boolean, string?][] = [
    ['creates its own report', () => {}, true],
    ['updates its own report', asUpdate, true],
    [
      'rewrites its own report with new data',
      (r) => {
        asUpdate(r);
        r.object.data['node.worker-1'] = '{"ipLocalPortRange":"1024 65535"}';
      },
      true,
    ],
    [
      'creates the report of worker-2',
      named('portguard-node-ranges.worker-2'),
      false,
      'not ConfigMap portguard-node-ranges.worker-2',
    ],
    ['creates a report whose name extends its own', named(`${OWN}0`), false, `not ConfigMap ${OWN}0`],
    ['writes the policy ConfigMap', named('portguard-policy'), false, 'not ConfigMap portguard-policy'],
    [
      'deletes its own report',
      (r) => {
        r.operation = 'DELETE';
        r.oldObject = r.object;
        r.object = null;
      },
      true,
    ],
    [
      'has a token without the node name',
      (r) => delete r.userInfo.extra[NODE_NAME],
      false,
      'only with a token bound to its pod',
    ],
    ['has no userInfo.extra at all', (r) => delete r.userInfo.extra, false, 'has none'],
    [
      'has an empty node name list',
      (r) => {
        r.userInfo.extra[NODE_NAME] = [];
      },
      false,
      'has none',
    ],
  ];
  it.each(reporterCases.map(([name, change, allowed, text]) => [name, allowed, change, text] as const))(
    'the reporter on worker-1 %s: allowed %s',
    (_name, allowed, change, text) => {
      const outcome = judge(policy, derive(change));
      expect(outcome.matched).toBe(true);
      if (!outcome.matched) return;
      expect(outcome.allowed).toBe(allowed);
      expect(outcome.messages.length > 0).toBe(!allowed);
      for (const m of outcome.messages) expect(m).toContain(text);
    },
  );

  it.each<[string, Change]>([
    [
      'an admin writing the ranges ConfigMap',
      both(asUser('kubernetes-admin'), named('portguard-node-ranges')),
    ],
    ['the server leader deleting a report', both(asUser('system:serviceaccount:portguard-system:portguard'))],
    ['a reporter of another namespace', asUser('system:serviceaccount:other:portguard-node-reporter')],
    [
      'the reporter writing a ConfigMap in another namespace',
      (r) => {
        r.namespace = 'default';
      },
    ],
  ])('does not apply to %s', (_name, change) => {
    expect(judge(policy, derive(change))).toEqual({ matched: false });
  });

  // A test of a deny rule proves little unless the rule is what denies.
  it("without the name comparison, worker-1 could write worker-2's report", () => {
    const weakened = structuredClone(policy);
    weakened.spec.validations[1].expression = 'true';
    const forged = derive(named('portguard-node-ranges.worker-2'));
    expect(judge(policy, forged)).toMatchObject({ allowed: false });
    expect(judge(weakened, forged)).toMatchObject({ allowed: true });
  });

  it('without the node name check, a token with no node name still owns no object', () => {
    const weakened = structuredClone(policy);
    weakened.spec.validations[0].expression = 'true';
    const noNode = derive((r) => delete r.userInfo.extra[NODE_NAME]);
    expect(judge(policy, noNode)).toMatchObject({ allowed: false });
    // The name rule alone would let it through ('' short-circuits); the node-name rule is what denies.
    expect(judge(weakened, noNode)).toMatchObject({ allowed: true });
  });

  it('components/no-node-reporter-policy removes the policy and its binding, nothing else', async () => {
    const built = await buildWithComponents('overlays/cert-manager', ['no-node-reporter-policy']);
    const full = kustomize(join(MANIFESTS, 'overlays/cert-manager'));
    const ids = (objects: typeof base) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(ids(full).filter((id) => !ids(built).includes(id))).toEqual([
      `ValidatingAdmissionPolicy/${NAME}`,
      `ValidatingAdmissionPolicyBinding/${NAME}`,
    ]);
    expect(ids(built).length).toBe(ids(full).length - 2);
  });
});
