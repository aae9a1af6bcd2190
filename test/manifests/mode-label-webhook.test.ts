/**
 * The namespace mode label guard as installed: its webhook entry, the matchCondition that
 * sends only Namespace writes touching the label, the failure policy per overlay, and the
 * shipped policy that leaves the label off.
 */
import { join } from 'node:path';
import { evaluate } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MODE_LABEL, policyFromData } from '../../src/core/policy.js';
import { find, type K8sObject, kustomize, MANIFESTS } from './kustomize.js';

const NAME = 'namespace-mode.validate.portguard.io';
const base = kustomize(join(MANIFESTS, 'base'));
const auditOnly = kustomize(join(MANIFESTS, 'overlays/audit-only'));
const entryIn = (objects: K8sObject[]) =>
  find(objects, 'ValidatingWebhookConfiguration', 'portguard').webhooks.find(
    (w: K8sObject) => w.name === NAME,
  );

describe('namespace mode label webhook', () => {
  const entry = entryIn(base);

  it('is the last entry of the validating configuration and sends Namespace CREATE/UPDATE to /validate', () => {
    const webhooks = find(base, 'ValidatingWebhookConfiguration', 'portguard').webhooks;
    expect(webhooks.at(-1).name).toBe(NAME);
    expect(entry).toMatchObject({
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      matchPolicy: 'Equivalent',
      timeoutSeconds: 5,
      failurePolicy: 'Fail',
      clientConfig: {
        service: { name: 'portguard', namespace: 'portguard-system', path: '/validate', port: 443 },
      },
      rules: [
        {
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: ['namespaces'],
          operations: ['CREATE', 'UPDATE'],
          scope: 'Cluster',
        },
      ],
    });
    // The label on portguard-system or kube-system is guarded like any other.
    expect(entry.namespaceSelector).toBeUndefined();
  });

  it('is not in the mutating configuration', () => {
    const names = find(base, 'MutatingWebhookConfiguration', 'portguard').webhooks.map(
      (w: K8sObject) => w.name,
    );
    expect(names).not.toContain(NAME);
  });

  // The apiserver calls the webhook only when every condition is true; oldObject is null on CREATE.
  const calls = (object: unknown, oldObject: unknown) =>
    (entry.matchConditions as { expression: string }[]).every(
      (c) =>
        evaluate(c.expression, { request: { resource: { resource: 'namespaces' } }, object, oldObject }) ===
        true,
    );
  const ns = (labels?: Record<string, string>) => ({
    metadata: labels ? { name: 'shop', labels } : { name: 'shop' },
  });

  it.each([
    ['CREATE with the label', ns({ [MODE_LABEL]: 'audit' }), null, true],
    ['CREATE without it', ns({ team: 'a' }), null, false],
    ['CREATE without any labels', ns(), null, false],
    ['UPDATE that sets it', ns({ [MODE_LABEL]: 'audit' }), ns({ team: 'a' }), true],
    ['UPDATE that removes it', ns({ team: 'a' }), ns({ [MODE_LABEL]: 'audit' }), true],
    ['UPDATE that removes every label', ns(), ns({ [MODE_LABEL]: 'audit' }), true],
    ['UPDATE that keeps it', ns({ [MODE_LABEL]: 'audit', team: 'b' }), ns({ [MODE_LABEL]: 'audit' }), true],
    ['UPDATE without it', ns({ team: 'b' }), ns({ team: 'a' }), false],
    ['UPDATE without any labels', ns(), ns(), false],
    ['a look-alike key', ns({ 'portguard.io/modes': 'audit' }), null, false],
  ])('%s -> webhook called: %s', (_name, object, oldObject, expected) => {
    expect(calls(object, oldObject)).toBe(expected);
  });

  it('audit-only: every validating webhook fails open, this one included', () => {
    const webhooks = find(auditOnly, 'ValidatingWebhookConfiguration', 'portguard').webhooks;
    expect(webhooks.map((w: K8sObject) => w.name)).toContain(NAME);
    for (const w of webhooks) expect(w.failurePolicy, w.name).toBe('Ignore');
  });

  it.each([
    ['base', base],
    ['audit-only', auditOnly],
  ])('%s: the shipped policy parses and leaves the namespace mode label off', (_name, objects) => {
    const text = find(objects, 'ConfigMap', 'portguard-policy').data['policy.yaml'];
    const policy = policyFromData(parse(text), 'policy.yaml');
    expect(policy.allowNamespaceModeLabel).toBe(false);
    expect(policy.modeLabelAdmins).toEqual({ users: [], groups: [] });
  });
});
