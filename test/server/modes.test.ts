/**
 * Decisions a user relies on: modes (policy default and namespace label), administrator
 * exemptions (and that an object's own annotations grant nothing), UPDATE semantics.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, MODE_LABEL, type Policy } from '../../src/core/policy.js';
import { type Json, loadFixture, post, testApp } from './helpers.js';

const explicit = loadFixture('validate-create-service-nodeport-explicit');
const policy = (p: Partial<Policy>): Policy => ({ ...DEFAULT_POLICY, ...p });

function withObject(review: Json, edit: (o: Json) => void): Json {
  const copy = structuredClone(review);
  edit(copy.request.object);
  return copy;
}

describe('modes', () => {
  it.each([
    ['enforce', false, undefined, 'denied'],
    ['warn', true, 'nodeport-in-ephemeral-range: nodePort 32582', 'allowed-warn'],
    ['audit', true, undefined, 'allowed-audit'],
  ] as const)('%s: allowed=%s', async (mode, allowed, warning, decision) => {
    const t = await testApp({ policy: policy({ mode }) });
    const { body } = await post(t.app, '/validate', explicit);
    const r = body.response;
    expect(r.allowed).toBe(allowed);
    expect(r.auditAnnotations).toMatchObject({
      decision,
      mode,
      rules: 'nodeport-in-ephemeral-range',
      findings: '1',
    });
    if (warning) expect(r.warnings[0]).toContain(warning);
    else expect(r.warnings).toBeUndefined();
    const metrics = await t.metrics.registry.metrics();
    expect(metrics).toContain(
      `portguard_findings_total{rule="nodeport-in-ephemeral-range",severity="deny",mode="${mode}"} 1`,
    );
    await t.app.close();
  });

  it('a warning carries the finding over several lines of at most 120, its fix whole', async () => {
    const t = await testApp({ policy: policy({ mode: 'warn' }) });
    const warned = (await post(t.app, '/validate', explicit)).body.response.warnings as string[];
    await t.app.close();
    const e = await testApp({ policy: policy({ mode: 'enforce' }) });
    const denial = (await post(e.app, '/validate', explicit)).body.response.status.message as string;
    await e.app.close();
    // The denial is "portguard denied <subject>: [rule] path: message".
    const message = denial.slice(denial.indexOf(']') + 1).replace(/^ [^:]*: /, '');
    expect(message.length).toBeGreaterThan(120);
    expect(warned.length).toBeGreaterThan(1);
    for (const w of warned) expect([...w].length).toBeLessThanOrEqual(120);
    expect(warned[0]).toMatch(/^nodeport-in-ephemeral-range: /);
    const text = warned.map((w, i) => (i === 0 ? w.replace(/^[^:]*: /, '') : w.replace(/^… /, ''))).join(' ');
    // 330 characters do not fit in three warnings: the problem loses its last words, the fix stays whole.
    const fix = message.slice(message.lastIndexOf('. ') + 2);
    // worker-1 takes every port of the NodePort range, so reserving it is the fix.
    expect(fix).toMatch(
      /^No nodePort is safe there: .* \(or narrow their ip_local_port_range to end below it\)\.$/,
    );
    expect(text.endsWith(`… ${fix}`)).toBe(true);
    const shortened = text.slice(0, text.indexOf('…'));
    expect(message.startsWith(shortened)).toBe(true);
    expect(shortened).toContain('of 1 node(s): worker-1; outgoing connections');
  });

  it('warn mode turns every finding into a warning, info included', async () => {
    const t = await testApp({ policy: policy({ mode: 'warn' }) });
    const { body } = await post(
      t.app,
      '/validate',
      loadFixture('validate-create-pod-securitycontext-sysctls'),
    );
    expect(body.response.warnings.join()).toContain('port-range-overlaps-nodeports');
    await t.app.close();
  });

  it.each([
    ['enforce', 'warn', true, true],
    ['enforce', 'audit', true, true],
    ['warn', 'enforce', true, false],
    ['enforce', 'bogus', true, false],
    ['enforce', 'warn', false, false],
  ] as const)(
    'policy %s + namespace label %s (label allowed: %s) → allowed=%s',
    async (mode, label, allowLabel, allowed) => {
      const t = await testApp({
        policy: policy({ mode, allowNamespaceModeLabel: allowLabel }),
        namespaceLabels: { shop: { [MODE_LABEL]: label } },
      });
      const { body } = await post(t.app, '/validate', explicit);
      expect(body.response.allowed).toBe(allowed);
      await t.app.close();
    },
  );
});

describe('exemptions', () => {
  it.each([
    [{ namespaces: ['shop'] }, true],
    [{ namespaces: ['shop'], rules: ['nodeport-in-ephemeral-range' as const] }, true],
    [{ names: ['we*'], kinds: ['Service'] }, true],
    [{ namespaces: ['other'] }, false],
    [{ rules: ['hazardous-node-sysctl' as const] }, false],
  ])('policy exemption %j → allowed=%s', async (exemption, allowed) => {
    const t = await testApp({ policy: policy({ exemptions: [exemption] }) });
    const { body } = await post(t.app, '/validate', explicit);
    expect(body.response.allowed).toBe(allowed);
    if (allowed) expect(body.response.auditAnnotations.exempted).toBe('nodeport-in-ephemeral-range');
    await t.app.close();
  });

  it('grants nothing for annotations or labels on the object itself', async () => {
    const t = await testApp();
    const sneaky = withObject(explicit, (o) => {
      o.metadata.annotations = {
        'portguard.io/exempt': 'true',
        [MODE_LABEL]: 'warn',
        'portguard.io/skip': 'all',
      };
      o.metadata.labels = { ...o.metadata.labels, [MODE_LABEL]: 'audit' };
    });
    const { body } = await post(t.app, '/validate', sneaky);
    expect(body.response.allowed).toBe(false);
    await t.app.close();
  });

  it('exempts the object from mutation too', async () => {
    const t = await testApp({ policy: policy({ exemptions: [{ namespaces: ['shop'] }] }) });
    const { body } = await post(t.app, '/mutate', loadFixture('mutate-create-pod-securitycontext-sysctls'));
    expect(body.response.patch).toBeUndefined();
    await t.app.close();
  });
});

describe('UPDATE', () => {
  const update = loadFixture('validate-update-service-nodeport-explicit');

  it('denies an update that moves the nodePort to another bad port', async () => {
    const t = await testApp();
    const { body } = await post(t.app, '/validate', update);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('nodePort 30085');
    await t.app.close();
  });

  it.each([
    ['a label change', (o: Json) => (o.metadata.labels = { ...o.metadata.labels, team: 'b' })],
    ['removing finalizers', (o: Json) => (o.metadata.finalizers = [])],
  ])('allows %s on a Service that already violated, with a warning', async (_label, edit) => {
    const t = await testApp();
    const review = structuredClone(update);
    review.request.object = structuredClone(review.request.oldObject);
    edit(review.request.object);
    const { body } = await post(t.app, '/validate', review);
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings[0]).toMatch(/^existing nodeport-in-ephemeral-range: nodePort 32582/);
    expect(body.response.auditAnnotations.rules).toBe('nodeport-in-ephemeral-range');
    await t.app.close();
  });

  it('denies an update that adds a second bad nodePort to an old violator', async () => {
    const t = await testApp();
    const review = structuredClone(update);
    review.request.object = structuredClone(review.request.oldObject);
    review.request.object.spec.ports.push({
      name: 'extra',
      protocol: 'TCP',
      port: 81,
      targetPort: 81,
      nodePort: 31000,
    });
    const { body } = await post(t.app, '/validate', review);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('nodePort 31000');
    expect(body.response.status.message).not.toContain('nodePort 32582');
    await t.app.close();
  });

  it('allows DELETE without review', async () => {
    const t = await testApp();
    const review = structuredClone(update);
    review.request.operation = 'DELETE';
    review.request.object = null;
    const { body } = await post(t.app, '/validate', review);
    expect(body.response.allowed).toBe(true);
    await t.app.close();
  });
});

describe('logging', () => {
  it('logs the decision without the object, env values or annotations', async () => {
    const t = await testApp();
    const pod = loadFixture('validate-create-pod-hostnetwork-init-sysctl');
    pod.request.object.spec.containers[0].env = [{ name: 'DB_PASSWORD', value: 'hunter2-secret' }];
    await post(t.app, '/validate', pod);
    const log = t.lines.join('');
    expect(log).toContain(pod.request.uid);
    expect(log).toContain('"name":"tuner"');
    expect(log).toContain('port-range-overlaps-nodeports');
    expect(log).not.toContain('hunter2-secret');
    expect(log).not.toContain('sysctl -w');
    await t.app.close();
  });
});
