/**
 * The optional `policy-reports` component: it turns on the server's periodic audit and
 * grants exactly what that audit needs, and nothing else changes. The base carries the
 * leader-election pieces every install needs (POD_NAME, the Lease RBAC).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildWithComponents, find, type K8sObject, kustomize, MANIFESTS } from './kustomize.js';

/** One line per (group, resource, verb, name), as in rbac.test.ts. */
function grants(role: K8sObject): string[] {
  const out: string[] = [];
  for (const r of role.rules as Record<string, string[] | undefined>[]) {
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? [])
        for (const v of r.verbs ?? [])
          for (const n of r.resourceNames ?? ['*']) out.push(`${g || 'core'} ${res} ${v} ${n}`);
  }
  return out.sort();
}

const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const container = (objects: K8sObject[]) =>
  find(objects, 'Deployment', 'portguard').spec.template.spec.containers[0];

let plain: K8sObject[];
let withReports: K8sObject[];
let auditOnlyWithReports: K8sObject[];

beforeAll(async () => {
  plain = kustomize(join(MANIFESTS, 'overlays/cert-manager'));
  withReports = await buildWithComponents('overlays/cert-manager', ['policy-reports']);
  auditOnlyWithReports = await buildWithComponents('overlays/cert-manager', ['audit-only', 'policy-reports']);
});

describe('base: leader election for every install', () => {
  it('gives each replica its pod name as the Lease identity (downward API)', () => {
    expect(container(plain).env).toContainEqual({
      name: 'POD_NAME',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
  });

  it('runs no periodic audit unless the component is added', () => {
    expect(container(plain).args.some((a: string) => a.startsWith('--audit-interval'))).toBe(false);
  });
});

describe('policy-reports component', () => {
  it('adds only its ClusterRole and binding', () => {
    const before = new Set(plain.map(key));
    expect(withReports.map(key).filter((k) => !before.has(k))).toEqual([
      'ClusterRole//portguard-policy-reports',
      'ClusterRoleBinding//portguard-policy-reports',
    ]);
  });

  it('grants list on the scanned workload kinds and get/list/create/update on reports, nothing else', () => {
    expect(grants(find(withReports, 'ClusterRole', 'portguard-policy-reports'))).toEqual(
      [
        'core replicationcontrollers list *',
        ...['deployments', 'statefulsets', 'daemonsets', 'replicasets'].map((r) => `apps ${r} list *`),
        ...['jobs', 'cronjobs'].map((r) => `batch ${r} list *`),
        ...['get', 'list', 'create', 'update'].map((v) => `wgpolicyk8s.io policyreports ${v} *`),
        ...['get', 'create', 'update'].map((v) => `wgpolicyk8s.io clusterpolicyreports ${v} *`),
      ].sort(),
    );
  });

  it('binds it to the webhook ServiceAccount only', () => {
    const b = find(withReports, 'ClusterRoleBinding', 'portguard-policy-reports');
    expect(b.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'portguard-policy-reports',
    });
    expect(b.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'portguard', namespace: 'portguard-system' },
    ]);
  });

  it.each([
    ['alone', () => withReports],
    ['with audit-only', () => auditOnlyWithReports],
  ])('%s: appends --audit-interval=10m and keeps the other args', (_name, objects) => {
    expect(container(objects()).args).toEqual([...container(plain).args, '--audit-interval=10m']);
  });

  it('composes with audit-only: audit mode stays on', () => {
    expect(find(auditOnlyWithReports, 'ConfigMap', 'portguard-policy').data['policy.yaml']).toMatch(
      /^mode: audit$/m,
    );
  });
});
