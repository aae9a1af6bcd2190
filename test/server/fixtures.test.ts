/**
 * Every golden AdmissionReview captured from kube-apiserver v1.28 and v1.32, through app.inject,
 * against a state where worker-1 runs with ip_local_port_range "1024 65535".
 */
import jsonPatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodePatch,
  endpointOf,
  fixtureNames,
  loadFixture,
  nodePortService,
  post,
  stateWith,
  testApp,
  WIDENED,
} from './helpers.js';

interface Expectation {
  allowed: boolean;
  /** Rules that must appear in the `rules` audit annotation. */
  rules?: string[];
  /** Text the denial message must contain (rule, port, node). */
  mentions?: string[];
  warns?: string;
  patch?: boolean;
  /** No warnings at all (info findings stay in audit annotations). */
  quiet?: boolean;
}

const EXPECTED: Record<string, Expectation> = {
  'validate-create-cronjob-hostnetwork-tw-recycle': {
    allowed: false,
    rules: ['hazardous-node-sysctl'],
    mentions: ['hazardous-node-sysctl', 'tcp_tw_recycle'],
  },
  'validate-create-daemonset-hostnetwork-port': {
    allowed: true,
    rules: ['hostnetwork-port-in-ephemeral-range'],
    warns: 'hostnetwork-port-in-ephemeral-range',
  },
  // The guarded sysctl only runs in the pod's own netns: an info finding, no warning.
  'validate-create-deployment-guarded-init': {
    allowed: true,
    rules: ['port-range-overlaps-nodeports'],
    quiet: true,
  },
  'validate-create-pod-hostnetwork-init-sysctl': {
    allowed: false,
    rules: ['port-range-overlaps-nodeports'],
    mentions: ['port-range-overlaps-nodeports', 'worker-1'],
  },
  'validate-create-pod-securitycontext-sysctls': {
    allowed: true,
    rules: ['port-range-overlaps-nodeports'],
    quiet: true,
  },
  'validate-create-service-clusterip-to-nodeport': { allowed: true },
  'validate-create-service-loadbalancer-local': {
    allowed: false,
    rules: ['nodeport-in-ephemeral-range'],
    mentions: ['31489', '31980', 'healthCheckNodePort', 'worker-1'],
  },
  'validate-create-service-nodeport-explicit': {
    allowed: false,
    rules: ['nodeport-in-ephemeral-range'],
    mentions: ['nodeport-in-ephemeral-range', 'nodePort 32582', 'worker-1', 'ip_local_reserved_ports'],
  },
  // Placeholders 32769/32770 of a server-side dry run must not be judged as real ports.
  'validate-create-service-nodeport-unset-dryrun': {
    allowed: true,
    rules: ['nodeport-in-ephemeral-range'],
    warns: 'auto-allocated',
  },
  'validate-create-service-nodeport-unset': {
    allowed: false,
    mentions: ['31826', '32295', 'worker-1'],
  },
  'validate-update-service-clusterip-to-nodeport': { allowed: false, mentions: ['nodePort 30222'] },
  'validate-update-service-nodeport-explicit': { allowed: false, mentions: ['nodePort 30085'] },
  // An ordinary container that nsenters PID 1's network namespace from a hostPID pod.
  'validate-create-pod-hostpid-nsenter': {
    allowed: false,
    rules: ['port-range-overlaps-nodeports'],
    mentions: ['spec.containers[0].command', 'nsenter', 'worker-1'],
  },
  'validate-create-replicationcontroller-hostnetwork-init': {
    allowed: false,
    rules: ['port-range-overlaps-nodeports'],
    mentions: ['ReplicationController fixtures/legacy-tuner', 'spec.template.spec.initContainers[0].command'],
  },
  // kubectl debug on a hostNetwork pod: the new ephemeral container is judged as new.
  'validate-update-pod-ephemeralcontainers-sysctl': {
    allowed: false,
    rules: ['port-range-overlaps-nodeports'],
    mentions: ['spec.ephemeralContainers[0].command', 'worker-1'],
  },
  // Sent by the fail-open kube-system entry; judged like any other namespace.
  'validate-create-daemonset-kube-system-tuning': {
    allowed: false,
    rules: ['port-range-overlaps-nodeports'],
    mentions: ['DaemonSet kube-system/node-tuning', 'worker-1'],
  },
  // ConfigMaps are not judged by portguard today (the ranges ConfigMap's writers are
  // another part of issue 9); the webhook admits kinds it does not check.
  'validate-update-configmap-ranges-own-node-key': { allowed: true },
  'validate-update-configmap-ranges-other-node-key': { allowed: true },
  // The shipped policy leaves the label off, so alice's label is allowed and ignored, with a
  // warning; test/server/mode-label-guard.test.ts covers the label turned on.
  'validate-update-namespace-mode-label-by-editor': {
    allowed: true,
    rules: ['namespace-mode-label'],
    warns: 'namespace-mode-label',
  },
  // With worker-1 able to pick any port there is no safe nodePort: no patch, a warning.
  'mutate-create-cronjob-hostnetwork-tw-recycle': { allowed: true, patch: false },
  'mutate-create-daemonset-hostnetwork-port': { allowed: true, patch: false },
  'mutate-create-deployment-guarded-init': { allowed: true, patch: false },
  'mutate-create-pod-hostnetwork-init-sysctl': { allowed: true, patch: false },
  'mutate-create-pod-securitycontext-sysctls': {
    allowed: true,
    patch: true,
    warns: 'ip_local_reserved_ports',
  },
  'mutate-create-service-clusterip-to-nodeport': { allowed: true, patch: false },
  'mutate-create-service-loadbalancer-local': { allowed: true, patch: false, warns: 'no free nodePort' },
  'mutate-create-service-nodeport-explicit': { allowed: true, patch: false },
  'mutate-create-service-nodeport-unset-dryrun': { allowed: true, patch: false, warns: 'no free nodePort' },
  'mutate-create-service-nodeport-unset': { allowed: true, patch: false, warns: 'no free nodePort' },
  'mutate-update-service-clusterip-to-nodeport': { allowed: true, patch: false, warns: 'no free nodePort' },
  'mutate-update-service-nodeport-explicit': { allowed: true, patch: false },
  // Nothing to mutate: no sysctls list, and a hostNetwork pod's sysctls are the node's.
  'mutate-create-pod-hostpid-nsenter': { allowed: true, patch: false },
  'mutate-create-replicationcontroller-hostnetwork-init': { allowed: true, patch: false },
  // The shipped mutating webhook does not take this subresource (webhooks.yaml says why);
  // if called anyway, it changes nothing.
  'mutate-update-pod-ephemeralcontainers-sysctl': { allowed: true, patch: false },
};

describe('golden fixtures', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.app.close());

  it('covers every fixture file', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(fixtureNames());
  });

  it.each(Object.entries(EXPECTED))('%s', async (name, want) => {
    const review = loadFixture(name);
    const { status, body } = await post(t.app, `${endpointOf(name)}?timeout=10s`, review);
    expect(status).toBe(200);
    expect(body.apiVersion).toBe('admission.k8s.io/v1');
    expect(body.kind).toBe('AdmissionReview');
    const r = body.response;
    expect(r.uid).toBe(review.request.uid);
    expect(r.allowed).toBe(want.allowed);
    if (!want.allowed) {
      expect(r.status.code).toBe(403);
      expect(r.status.reason).toBe('Forbidden');
      for (const m of want.mentions ?? []) expect(r.status.message).toContain(m);
    } else {
      expect(r.status).toBeUndefined();
    }
    if (endpointOf(name) === '/validate') {
      expect(r.patch).toBeUndefined();
      expect(r.patchType).toBeUndefined();
      expect(r.auditAnnotations.decision).toEqual(
        want.allowed ? expect.stringMatching(/^allowed/) : 'denied',
      );
      for (const rule of want.rules ?? []) expect(r.auditAnnotations.rules.split(',')).toContain(rule);
      if (!want.rules && want.allowed) expect(r.auditAnnotations.rules).toBeUndefined();
    } else {
      expect(r.patchType === 'JSONPatch').toBe(want.patch === true);
      expect(r.patch !== undefined).toBe(want.patch === true);
    }
    if (want.warns) expect(r.warnings.join('\n')).toContain(want.warns);
    if (want.quiet) expect(r.warnings).toBeUndefined();
    for (const w of r.warnings ?? []) expect([...w].length).toBeLessThanOrEqual(120);
    for (const key of Object.keys(r.auditAnnotations ?? {})) expect(key).not.toContain('/');
  });
});

describe('hostNetwork port against Services in the state', () => {
  const review = loadFixture('validate-create-daemonset-hostnetwork-port');

  it('denies the DaemonSet when a Service holds nodePort 30584', async () => {
    const t = await testApp({
      state: stateWith({ 'worker-1': WIDENED }, [nodePortService('legacy', 30584)]),
    });
    const { body } = await post(t.app, '/validate', review);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('nodeport-hostport-collision');
    expect(body.response.status.message).toContain('30584');
    await t.app.close();
  });

  it('only warns when no Service holds it', async () => {
    const t = await testApp();
    const { body } = await post(t.app, '/validate', review);
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings.some((w: string) => w.includes('30584'))).toBe(true);
    await t.app.close();
  });
});

describe('mutation with a safe static band', () => {
  // Reserved 30000-30099 keeps worker-1 off the static band; 30000-30079 are already used.
  const used = Array.from({ length: 80 }, (_, i) => nodePortService(`used-${i}`, 30000 + i));
  const state = () =>
    stateWith(
      { 'worker-1': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-30099"}' },
      used,
    );

  it.each([
    ['mutate-create-service-nodeport-unset', ['/spec/ports/0/nodePort', '/spec/ports/1/nodePort']],
    ['mutate-create-service-nodeport-unset-dryrun', ['/spec/ports/0/nodePort', '/spec/ports/1/nodePort']],
    ['mutate-update-service-clusterip-to-nodeport', ['/spec/ports/0/nodePort']],
    ['mutate-create-service-loadbalancer-local', ['/spec/ports/0/nodePort', '/spec/healthCheckNodePort']],
  ])('%s gets free ports from 30080-30085, and re-review adds no patch', async (name, paths) => {
    let i = 0;
    const t = await testApp({ state: state(), random: () => (i++ * 0.37) % 1 });
    const review = loadFixture(name);
    const first = await post(t.app, '/mutate', review);
    const ops = decodePatch(first.body.response);
    expect(ops.map((o: { path: string }) => o.path).sort()).toEqual([...paths].sort());
    const ports = ops.map((o: { value: number }) => o.value);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(30080);
      expect(p).toBeLessThanOrEqual(30085);
    }
    expect(new Set(ports).size).toBe(ports.length);
    const mutated = jsonPatch.applyPatch(structuredClone(review.request.object), ops).newDocument;
    const again = await post(t.app, '/mutate', {
      ...review,
      request: { ...review.request, object: mutated },
    });
    expect(again.body.response.patch).toBeUndefined();
    expect(again.body.response.allowed).toBe(true);
    await t.app.close();
  });

  it('pod sysctls: adds ip_local_reserved_ports, then nothing on re-review', async () => {
    const t = await testApp();
    const review = loadFixture('mutate-create-pod-securitycontext-sysctls');
    const first = await post(t.app, '/mutate', review);
    const ops = decodePatch(first.body.response);
    expect(ops).toEqual([
      {
        op: 'add',
        path: '/spec/securityContext/sysctls/1',
        value: { name: 'net.ipv4.ip_local_reserved_ports', value: '30000-32767' },
      },
    ]);
    const mutated = jsonPatch.applyPatch(structuredClone(review.request.object), ops).newDocument;
    const again = await post(t.app, '/mutate', {
      ...review,
      request: { ...review.request, object: mutated },
    });
    expect(again.body.response.patch).toBeUndefined();
    await t.app.close();
  });
});
