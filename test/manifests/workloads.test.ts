import { join } from 'node:path';
import { evaluate } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { find, type K8sObject, kustomize, MANIFESTS } from './kustomize.js';

const objects = kustomize(join(MANIFESTS, 'base'));
const deployment = find(objects, 'Deployment', 'portguard');
const reporter = find(objects, 'DaemonSet', 'portguard-node-reporter');

function expectHardened(podSpec: K8sObject) {
  expect(podSpec.securityContext.runAsNonRoot).toBe(true);
  expect(podSpec.securityContext.runAsUser).toBe(65532);
  expect(podSpec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  for (const c of podSpec.containers) {
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext.capabilities.add).toBeUndefined();
    expect(c.securityContext.privileged).toBeUndefined();
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
  }
}

describe('webhook Deployment', () => {
  const spec = deployment.spec.template.spec;
  const container = spec.containers[0];

  it('is hardened: non-root, read-only root, no capabilities, seccomp', () => {
    expectHardened(spec);
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.volumes.some((v: K8sObject) => v.hostPath)).toBe(false);
  });

  it('is highly available', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(spec.priorityClassName).toBe('system-cluster-critical');
    expect(spec.topologySpreadConstraints.map((t: K8sObject) => t.topologyKey)).toContain(
      'kubernetes.io/hostname',
    );
    const pdb = find(objects, 'PodDisruptionBudget', 'portguard');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('serves admission on HTTPS 8443 only and probes on the plaintext health port 8081', () => {
    expect(container.ports).toEqual([
      { name: 'https', containerPort: 8443, protocol: 'TCP' },
      { name: 'health', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    const svc = find(objects, 'Service', 'portguard');
    expect(svc.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('reads certs and policy from read-only mounts', () => {
    expect(container.args).toEqual([
      'serve',
      '--tls-cert',
      '/certs/tls.crt',
      '--tls-key',
      '/certs/tls.key',
      '--kubeconfig',
      'in-cluster',
      '--config',
      '/config/policy.yaml',
    ]);
    const mounts = Object.fromEntries(container.volumeMounts.map((m: K8sObject) => [m.name, m]));
    expect(mounts.certs).toMatchObject({ mountPath: '/certs', readOnly: true });
    expect(mounts.certs.subPath).toBeUndefined(); // subPath mounts never receive Secret updates
    expect(mounts.config).toMatchObject({ mountPath: '/config', readOnly: true });
    const volumes = Object.fromEntries(spec.volumes.map((v: K8sObject) => [v.name, v]));
    expect(volumes.certs.secret.secretName).toBe('portguard-tls');
    // Owner+group read only; fsGroup 65532 makes the group the container's.
    expect(volumes.certs.secret.defaultMode).toBe(0o440);
    expect(spec.securityContext.fsGroup).toBe(65532);
    expect(volumes.config.configMap.name).toBe('portguard-policy');
  });
});

describe('node reporter DaemonSet', () => {
  const spec = reporter.spec.template.spec;
  const container = spec.containers[0];

  it('runs on every node in the host network namespace, still hardened', () => {
    expect(spec.hostNetwork).toBe(true);
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expectHardened(spec);
  });

  it('mounts only the host /proc, read-only', () => {
    expect(spec.volumes).toEqual([{ name: 'host-proc', hostPath: { path: '/proc', type: 'Directory' } }]);
    expect(container.volumeMounts).toEqual([{ name: 'host-proc', mountPath: '/host/proc', readOnly: true }]);
  });

  it('reports under its own node name', () => {
    expect(container.args).toEqual(['report-node', '--proc', '/host/proc', '--node-name', '$(NODE_NAME)']);
    expect(container.env).toContainEqual({
      name: 'NODE_NAME',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
  });
});

describe('webhook configurations', () => {
  const validating = find(objects, 'ValidatingWebhookConfiguration', 'portguard');
  const mutating = find(objects, 'MutatingWebhookConfiguration', 'portguard');
  // The workload webhooks; the namespace mode label entry is checked in mode-label-webhook.test.ts.
  const both = [
    [
      'validating',
      validating,
      'validate.portguard.io',
      '/validate',
      'Fail',
      ['core/pods/ephemeralcontainers'],
    ],
    ['mutating', mutating, 'mutate.portguard.io', '/mutate', 'Ignore', []],
  ] as const;
  const [failClosed, kubeSystem] = validating.webhooks;

  it('validating has a fail-closed entry, a fail-open one for kube-system and the mode-label guard; mutating one entry', () => {
    expect(validating.webhooks.map((w: K8sObject) => w.name)).toEqual([
      'validate.portguard.io',
      'validate-kube-system.portguard.io',
      'namespace-mode.validate.portguard.io',
    ]);
    expect(mutating.webhooks.map((w: K8sObject) => w.name)).toEqual(['mutate.portguard.io']);
  });

  it.each(both)('%s has the required settings', (_n, config, name, path, failurePolicy, extra) => {
    const w = config.webhooks[0];
    expect(w.name).toBe(name);
    expect(w).toMatchObject({
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      matchPolicy: 'Equivalent',
      timeoutSeconds: 5,
      failurePolicy,
      clientConfig: { service: { name: 'portguard', namespace: 'portguard-system', path, port: 443 } },
      namespaceSelector: {
        matchExpressions: [
          {
            key: 'kubernetes.io/metadata.name',
            operator: 'NotIn',
            values: ['portguard-system', 'kube-system'],
          },
        ],
      },
    });
    const covered = w.rules.flatMap((r: K8sObject) =>
      r.resources.map((res: string) => `${r.apiGroups[0] || 'core'}/${res}:${r.operations.join(',')}`),
    );
    expect(covered.sort()).toEqual(
      [
        'core/services',
        'core/pods',
        'core/replicationcontrollers',
        ...extra,
        'apps/deployments',
        'apps/statefulsets',
        'apps/daemonsets',
        'apps/replicasets',
        'batch/jobs',
        'batch/cronjobs',
      ]
        .map((r) => `${r}:CREATE,UPDATE`)
        .sort(),
    );
  });

  it('kube-system is judged failing open, with the same rules and conditions as the main entry', () => {
    expect(kubeSystem.failurePolicy).toBe('Ignore');
    expect(kubeSystem.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['kube-system'] }],
    });
    const rest = ({ name: _n, failurePolicy: _f, namespaceSelector: _s, ...w }: K8sObject) => w;
    expect(rest(kubeSystem)).toEqual(rest(failClosed));
  });

  it('mutating webhook is reinvoked when later webhooks change the object', () => {
    expect(mutating.webhooks[0].reinvocationPolicy).toBe('IfNeeded');
  });

  it('both use the same matchConditions', () => {
    expect(mutating.webhooks[0].matchConditions).toEqual(validating.webhooks[0].matchConditions);
  });

  // The apiserver calls the webhook only when every condition is true.
  const conditions: { name: string; expression: string }[] = validating.webhooks[0].matchConditions;
  const calls = (resource: string, object: unknown) =>
    conditions.every((c) => evaluate(c.expression, { request: { resource: { resource } }, object }) === true);
  const container = (extra: object = {}) => ({ name: 'c', image: 'x', ...extra });

  it.each([
    ['ClusterIP Service', 'services', { spec: { type: 'ClusterIP' } }, false],
    ['ExternalName Service', 'services', { spec: { type: 'ExternalName' } }, false],
    ['Service without type (defaults to ClusterIP)', 'services', { spec: {} }, false],
    ['NodePort Service', 'services', { spec: { type: 'NodePort' } }, true],
    ['LoadBalancer Service', 'services', { spec: { type: 'LoadBalancer' } }, true],
    ['plain pod', 'pods', { spec: { containers: [container({ ports: [{ containerPort: 80 }] })] } }, false],
    ['hostNetwork pod', 'pods', { spec: { hostNetwork: true, containers: [container()] } }, true],
    ['hostNetwork: false pod', 'pods', { spec: { hostNetwork: false, containers: [container()] } }, false],
    [
      'hostPort pod',
      'pods',
      { spec: { containers: [container({ ports: [{ containerPort: 80, hostPort: 8080 }] })] } },
      true,
    ],
    [
      'pod with sysctls',
      'pods',
      {
        spec: {
          securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }] },
          containers: [container()],
        },
      },
      true,
    ],
    [
      'pod with empty securityContext',
      'pods',
      { spec: { securityContext: {}, containers: [container()] } },
      false,
    ],
    // Without a way to the node, an init container's sysctl stays in the pod's netns.
    [
      'pod with init container',
      'pods',
      { spec: { initContainers: [container()], containers: [container()] } },
      false,
    ],
    ['hostPID pod', 'pods', { spec: { hostPID: true, containers: [container()] } }, true],
    [
      'hostPath pod',
      'pods',
      { spec: { volumes: [{ name: 'h', hostPath: { path: '/run' } }], containers: [container()] } },
      true,
    ],
    [
      'emptyDir pod',
      'pods',
      { spec: { volumes: [{ name: 'e', emptyDir: {} }], containers: [container()] } },
      false,
    ],
    [
      'hostPort in an init container',
      'pods',
      { spec: { initContainers: [container({ ports: [{ hostPort: 8080 }] })], containers: [container()] } },
      true,
    ],
    [
      'hostPort in an ephemeral container',
      'pods',
      {
        spec: {
          containers: [container()],
          ephemeralContainers: [container({ ports: [{ hostPort: 8080 }] })],
        },
      },
      true,
    ],
    ['ReplicationController', 'replicationcontrollers', { spec: {} }, true],
    ['Deployment (template checked by the webhook)', 'deployments', { spec: {} }, true],
    ['CronJob', 'cronjobs', { spec: {} }, true],
  ])('%s -> webhook called: %s', (_name, resource, object, expected) => {
    expect(calls(resource, object)).toBe(expected);
  });

  it('never errors on sparse objects (an error would trigger failurePolicy)', () => {
    for (const [resource, object] of [
      ['services', { spec: {} }],
      ['pods', { spec: { containers: [{ name: 'c' }] } }],
      ['pods', { spec: {} }],
      ['pods', {}],
      ['deployments', {}],
    ] as const) {
      expect(() => calls(resource, object)).not.toThrow();
    }
  });
});
