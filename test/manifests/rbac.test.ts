import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWithComponents, find, type K8sObject, kustomize, MANIFESTS } from './kustomize.js';

const objects = kustomize(join(MANIFESTS, 'base'));

/** One line per (group, resource, verb, name) so any widening shows up as a readable diff. */
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

describe('RBAC is the minimal set', () => {
  it('server ClusterRole: read-only cluster state', () => {
    expect(grants(find(objects, 'ClusterRole', 'portguard'))).toEqual(
      [
        ...['services', 'pods', 'nodes', 'namespaces'].flatMap((r) =>
          ['get', 'list', 'watch'].map((v) => `core ${r} ${v} *`),
        ),
        // The ConfigMaps a node-reaching pod's scripts read (env names, mounted scripts), by
        // name as the pod references them: get, never list or watch (docs/webhook.md).
        'core configmaps get *',
      ].sort(),
    );
  });

  it('components/no-configmap-lookup drops exactly that grant and turns the lookup off', async () => {
    const built = await buildWithComponents('overlays/cert-manager', ['no-configmap-lookup']);
    expect(grants(find(built, 'ClusterRole', 'portguard'))).toEqual(
      grants(find(objects, 'ClusterRole', 'portguard')).filter((g) => g !== 'core configmaps get *'),
    );
    const args = (o: K8sObject[]) => find(o, 'Deployment', 'portguard').spec.template.spec.containers[0].args;
    expect(args(built)).toEqual([...args(objects), '--no-configmap-lookup']);
  });

  it('server Role: only its ConfigMap and its Lease', () => {
    const role = find(objects, 'Role', 'portguard');
    expect(role.metadata.namespace).toBe('portguard-system');
    expect(grants(role)).toEqual(
      [
        'core configmaps get portguard-node-ranges',
        'core configmaps list portguard-node-ranges',
        'core configmaps watch portguard-node-ranges',
        'core configmaps update portguard-node-ranges',
        'core configmaps patch portguard-node-ranges',
        // The report objects: selected by label, which RBAC cannot express; only this namespace.
        'core configmaps list *',
        'core configmaps watch *',
        'core configmaps delete *',
        // create cannot be scoped by name: the object does not exist yet.
        'coordination.k8s.io leases create *',
        'coordination.k8s.io leases get portguard-leader',
        'coordination.k8s.io leases update portguard-leader',
      ].sort(),
    );
  });

  it('node reporter: create/patch ConfigMaps of its namespace (the policy narrows it to its own report), get nodes, nothing else', () => {
    const role = find(objects, 'Role', 'portguard-node-reporter');
    expect(role.metadata.namespace).toBe('portguard-system');
    expect(grants(role)).toEqual(['core configmaps create *', 'core configmaps patch *']);
    expect(grants(find(objects, 'ClusterRole', 'portguard-node-reporter'))).toEqual(['core nodes get *']);
  });

  it('there are no other roles, no wildcards, no aggregation', () => {
    const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    expect(roles.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual([
      'ClusterRole/portguard',
      'ClusterRole/portguard-node-reporter',
      'Role/portguard',
      'Role/portguard-node-reporter',
    ]);
    for (const r of roles) {
      expect(r.aggregationRule).toBeUndefined();
      expect(JSON.stringify(r.rules)).not.toContain('"*"');
      expect(JSON.stringify(r.rules)).not.toMatch(/secrets|escalate|bind|impersonate|nonResourceURLs/);
    }
  });

  it.each([
    ['ClusterRoleBinding', 'portguard', 'portguard'],
    ['RoleBinding', 'portguard', 'portguard'],
    ['ClusterRoleBinding', 'portguard-node-reporter', 'portguard-node-reporter'],
    ['RoleBinding', 'portguard-node-reporter', 'portguard-node-reporter'],
  ])('%s %s binds only ServiceAccount %s', (kind, name, sa) => {
    const b = find(objects, kind, name);
    expect(b.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole',
      name,
    });
    expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: 'portguard-system' }]);
  });

  it('each workload runs under its own ServiceAccount', () => {
    expect(find(objects, 'Deployment', 'portguard').spec.template.spec.serviceAccountName).toBe('portguard');
    expect(find(objects, 'DaemonSet', 'portguard-node-reporter').spec.template.spec.serviceAccountName).toBe(
      'portguard-node-reporter',
    );
  });
});
