import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as certManager from '@kubernetes-models/cert-manager';
import * as k8s from 'kubernetes-models';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildSelfSigned,
  buildWithComponents,
  find,
  type K8sObject,
  kustomize,
  MANIFESTS,
  parseYamlStream,
} from './kustomize.js';

type ModelCtor = new (data: unknown) => { validate(): void };
type Registry = Record<string, Record<string, Record<string, ModelCtor>>>;

// `rbac.authorization.k8s.io` -> `rbacAuthorizationK8sIo`, the namespace names the model packages export.
const groupKey = (group: string) => group.replace(/[.-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function modelFor(o: K8sObject): ModelCtor | undefined {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  if (group === '') return (k8s.v1 as unknown as Record<string, ModelCtor>)[o.kind];
  for (const registry of [k8s, certManager] as unknown as Registry[]) {
    const model = registry[groupKey(group!)]?.[version!]?.[o.kind];
    if (model) return model;
  }
  return undefined;
}

/**
 * kustomize folds long base64 (Secret data, caBundle) onto several lines. The apiserver's
 * base64 decoder skips newlines, but the schema's "byte" format does not, so unfold first.
 */
function unfoldBase64(o: K8sObject): K8sObject {
  const copy = structuredClone(o);
  const unfold = (v: unknown) => (typeof v === 'string' ? v.replace(/\s/g, '') : v);
  if (copy.kind === 'Secret' && copy.data) {
    for (const k of Object.keys(copy.data)) copy.data[k] = unfold(copy.data[k]);
  }
  for (const w of copy.webhooks ?? []) {
    if (w.clientConfig?.caBundle !== undefined) w.clientConfig.caBundle = unfold(w.clientConfig.caBundle);
  }
  return copy;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'certs' ? [] : yamlFiles(p);
    return /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

const builds: Record<string, K8sObject[]> = {};

beforeAll(async () => {
  builds.base = kustomize(join(MANIFESTS, 'base'));
  builds['cert-manager'] = kustomize(join(MANIFESTS, 'overlays/cert-manager'));
  builds['audit-only'] = kustomize(join(MANIFESTS, 'overlays/audit-only'));
  builds['self-signed'] = (await buildSelfSigned()).objects;
  builds['policy-reports'] = await buildWithComponents('overlays/cert-manager', ['policy-reports']);
  builds['audit-only+policy-reports'] = await buildWithComponents('overlays/cert-manager', [
    'audit-only',
    'policy-reports',
  ]);
});

const BUILDS = [
  'base',
  'self-signed',
  'cert-manager',
  'audit-only',
  'policy-reports',
  'audit-only+policy-reports',
];

describe('manifests', () => {
  const files = yamlFiles(MANIFESTS);

  it('has YAML files to check', () => {
    expect(files.length).toBeGreaterThan(8);
  });

  it.each(files.map((f) => [relative(MANIFESTS, f), f]))('%s parses', (_name, file) => {
    expect(() => parseYamlStream(readFileSync(file, 'utf8'), file)).not.toThrow();
  });

  it.each(BUILDS)('%s builds and every object validates against its Kubernetes schema', (name) => {
    const objects = builds[name]!;
    expect(objects.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const o of objects) {
      const model = modelFor(o);
      if (!model) {
        problems.push(`${o.apiVersion} ${o.kind}: no schema`);
        continue;
      }
      try {
        new model(unfoldBase64(o)).validate();
      } catch (err) {
        problems.push(`${o.kind}/${o.metadata.name}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(BUILDS)('%s has no duplicate objects', (name) => {
    const keys = builds[name]!.map(
      (o) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('puts every namespaced object in portguard-system', () => {
    const clusterScoped = new Set([
      'Namespace',
      'ClusterRole',
      'ClusterRoleBinding',
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    for (const o of builds['cert-manager']!) {
      if (clusterScoped.has(o.kind)) expect(o.metadata.namespace, o.kind).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('portguard-system');
    }
  });

  it('self-signed: Secret holds the generated pair and caBundle is the CA that `certs` printed', async () => {
    const { objects, caBundle } = await buildSelfSigned();
    const secret = find(objects, 'Secret', 'portguard-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      for (const w of find(objects, kind, 'portguard').webhooks) {
        // kustomize may fold long base64; the apiserver's base64 decoder skips newlines.
        expect(String(w.clientConfig.caBundle).replace(/\s/g, '')).toBe(caBundle);
      }
    }
  });

  it('cert-manager: CA injection from the serving Certificate, whose names match the Service', () => {
    const objects = builds['cert-manager']!;
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      expect(find(objects, kind, 'portguard').metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(
        'portguard-system/portguard-tls',
      );
    }
    const cert = find(objects, 'Certificate', 'portguard-tls');
    expect(cert.spec.secretName).toBe('portguard-tls');
    expect(cert.spec.dnsNames).toContain('portguard.portguard-system.svc');
    expect(find(objects, 'Certificate', 'portguard-ca').spec.isCA).toBe(true);
    expect(cert.spec.issuerRef.name).toBe('portguard-ca');
  });

  it('audit-only: policy mode audit and a fail-open validating webhook; enforce elsewhere', () => {
    const policy = (objects: K8sObject[]) =>
      find(objects, 'ConfigMap', 'portguard-policy').data['policy.yaml'];
    expect(policy(builds['audit-only']!)).toMatch(/^mode: audit$/m);
    expect(
      find(builds['audit-only']!, 'ValidatingWebhookConfiguration', 'portguard').webhooks[0].failurePolicy,
    ).toBe('Ignore');
    for (const name of ['base', 'self-signed', 'cert-manager']) {
      expect(policy(builds[name]!)).toMatch(/^mode: enforce$/m);
      expect(
        find(builds[name]!, 'ValidatingWebhookConfiguration', 'portguard').webhooks[0].failurePolicy,
      ).toBe('Fail');
    }
  });

  it('base ranges ConfigMap ships only nodePortRange and default', () => {
    const cm = find(builds.base!, 'ConfigMap', 'portguard-node-ranges');
    expect(cm.metadata.namespace).toBe('portguard-system');
    expect(cm.data).toEqual({ nodePortRange: '30000-32767', default: '{"ipLocalPortRange": "32768 60999"}' });
    expect(JSON.parse(cm.data.default)).toEqual({ ipLocalPortRange: '32768 60999' });
  });
});
