/**
 * The ValidatingAdmissionPolicy that keeps each node reporter to its own `node.<name>` key,
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
const W1 = '{"ipLocalPortRange": "32768 60999"}';
const WIDE = '{"ipLocalPortRange": "1024 65535"}';

type Data = Record<string, string>;
type Change = (request: AdmissionRequest) => void;

/** The own-key fixture, with its new data (and anything else) changed by `change`. */
function derive(change: Change): AdmissionRequest {
  const r = structuredClone(own);
  change(r);
  return r;
}
const setData =
  (data: Data): Change =>
  (r) => {
    r.object.data = data;
  };
const oldData = (r: AdmissionRequest): Data => ({ ...r.oldObject.data });
const asUser =
  (username: string): Change =>
  (r) => {
    r.userInfo = { username, groups: ['system:authenticated'] };
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

  it('allows the reporter on worker-1 to patch node.worker-1 (golden)', () => {
    expect(judge(policy, own)).toEqual({ matched: true, allowed: true, messages: [] });
  });

  it('denies the reporter on worker-1 patching node.worker-2 (golden), naming key and node', () => {
    const outcome = judge(policy, other);
    expect(outcome).toMatchObject({ matched: true, allowed: false });
    expect(outcome.matched && outcome.messages).toEqual([
      'the node reporter on node worker-1 may change only data key node.worker-1, not node.worker-2',
    ]);
  });

  // [name, change to the own-key fixture, allowed, text every message must contain]
  const reporterCases: [string, Change, boolean, string?][] = [
    ['first report: adds its own key', (r) => delete r.oldObject.data['node.worker-1'], true],
    ['deletes its own key', (r) => setData(without(oldData(r), 'node.worker-1'))(r), true],
    ['rewrites its own key only', (r) => setData({ ...oldData(r), 'node.worker-1': WIDE })(r), true],
    [
      'adds a key for another node',
      (r) => setData({ ...r.object.data, 'node.worker-9': WIDE })(r),
      false,
      'not node.worker-9',
    ],
    [
      'adds a key that extends its own name',
      (r) => setData({ ...r.object.data, 'node.worker-10': WIDE })(r),
      false,
      'not node.worker-10',
    ],
    [
      "deletes another node's key",
      (r) => setData(without(r.object.data, 'node.worker-2'))(r),
      false,
      'not node.worker-2',
    ],
    [
      'changes nodePortRange',
      (r) => setData({ ...r.object.data, nodePortRange: '1-65535' })(r),
      false,
      'not nodePortRange',
    ],
    ['changes default', (r) => setData({ ...r.object.data, default: WIDE })(r), false, 'not default'],
    ['removes the whole data', (r) => delete r.object.data, false, '(and 2 more)'],
    [
      'changes two other keys',
      (r) => setData({ ...oldData(r), default: WIDE, nodePortRange: '1-2' })(r),
      false,
      '(and 1 more)',
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
    [
      'sets immutable',
      (r) => {
        r.object.immutable = true;
      },
      false,
      'not immutable',
    ],
    [
      'adds binaryData',
      (r) => {
        r.object.binaryData = { 'node.worker-2': 'AA==' };
      },
      false,
      'binaryData',
    ],
    [
      'adds an owner reference',
      (r) => {
        r.object.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'x', uid: 'u' }];
      },
      false,
      'ownerReferences',
    ],
    [
      'changes the last-applied annotation',
      (r) => {
        r.object.metadata.annotations = {};
      },
      false,
      'annotations',
    ],
    [
      'adds a label',
      (r) => {
        r.object.metadata.labels = { a: 'b' };
      },
      false,
      'labels',
    ],
    [
      'adds a finalizer',
      (r) => {
        r.object.metadata.finalizers = ['x/y'];
      },
      false,
      'finalizers',
    ],
    [
      'creates the ConfigMap with only its key',
      both(
        (r) => {
          r.operation = 'CREATE';
          r.oldObject = null;
        },
        setData({ 'node.worker-1': W1 }),
      ),
      true,
    ],
    [
      'creates the ConfigMap with more',
      both((r) => {
        r.operation = 'CREATE';
        r.oldObject = null;
      }),
      false,
      '(and 2 more)',
    ],
    [
      'deletes the ConfigMap',
      (r) => {
        r.operation = 'DELETE';
        r.object = null;
      },
      false,
      'not ',
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
    ['an admin changing every key', both(asUser('kubernetes-admin'), setData({ nodePortRange: '1-2' }))],
    [
      'the server leader pruning node.worker-2',
      both(
        asUser('system:serviceaccount:portguard-system:portguard'),
        setData(without(own.oldObject.data, 'node.worker-2')),
      ),
    ],
    [
      'a reporter of another namespace',
      both(asUser('system:serviceaccount:other:portguard-node-reporter'), setData({})),
    ],
    [
      'the reporter writing another ConfigMap',
      both((r) => {
        r.name = 'other';
      }, setData({})),
    ],
    [
      'the reporter writing a same-named ConfigMap elsewhere',
      both((r) => {
        r.namespace = 'default';
      }, setData({})),
    ],
  ])('does not apply to %s', (_name, change) => {
    expect(judge(policy, derive(change))).toEqual({ matched: false });
  });

  // A test of a deny rule proves little unless the rule is what denies.
  it('without the key comparison, the other-key fixture would pass', () => {
    const weakened = structuredClone(policy);
    weakened.spec.validations[0].expression = "variables.nodeName != ''";
    expect(judge(policy, other)).toMatchObject({ allowed: false });
    expect(judge(weakened, other)).toMatchObject({ allowed: true });
  });

  it('without the node name check, a token with no node name still owns no key', () => {
    const weakened = structuredClone(policy);
    weakened.spec.validations[0].expression = 'size(variables.otherKeys) == 0';
    const noNode = derive((r) => delete r.userInfo.extra[NODE_NAME]);
    expect(judge(weakened, noNode)).toMatchObject({ allowed: false });
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

function without(data: Data, key: string): Data {
  const { [key]: _gone, ...rest } = data;
  return rest;
}
