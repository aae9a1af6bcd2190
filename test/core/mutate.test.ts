import fc from 'fast-check';
import jsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { pickFree, planMutation, safeNodePorts } from '../../src/core/mutate.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import type { Json } from '../../src/core/object-view.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { PortSet } from '../../src/core/portset.js';
import { emptyState } from '../../src/core/state.js';

const widened = parseNodeRanges({ 'node.w1': '{"ipLocalPortRange": "1024 65535"}' }).ranges;
const partly = parseNodeRanges({ 'node.w1': '{"ipLocalPortRange": "30050 60999"}' }).ranges;

function service(ports: object[], extra: object = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'n' },
    spec: { type: 'NodePort', ports, ...extra },
  };
}

const seq = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('safeNodePorts', () => {
  it('is empty when a node may pick any port', () => {
    const s = safeNodePorts(widened, false);
    expect(s.band.isEmpty() && s.rest.isEmpty()).toBe(true);
  });

  it('keeps the static band below the node range first', () => {
    const s = safeNodePorts(partly, false);
    expect(s.band.toString()).toBe('30000-30049');
    expect(s.rest.toString()).toBe('');
  });

  it('never contains a port some node can pick', () => {
    fc.assert(
      fc.property(fc.integer({ min: 29000, max: 33000 }), fc.integer({ min: 0, max: 3000 }), (lo, width) => {
        const r = parseNodeRanges({ 'node.x': `{"ipLocalPortRange": "${lo} ${lo + width}"}` }).ranges;
        const s = safeNodePorts(r, true);
        const all = s.band.union(s.rest);
        expect(all.overlaps(PortSet.range(lo, lo + width))).toBe(false);
        expect(all.subtract(r.nodePortSet).isEmpty()).toBe(true);
      }),
    );
  });
});

describe('pickFree', () => {
  it('returns undefined when every candidate is used', () => {
    expect(pickFree(PortSet.range(1, 3), () => true, Math.random)).toBeUndefined();
  });

  it('finds the only free port by scanning after random probes miss', () => {
    expect(pickFree(PortSet.range(1, 100), (p) => p !== 77, seq([0]))).toBe(77);
  });

  it('always returns a free member of the set', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 })), fc.double({ min: 0, max: 0.999 }), (used, r) => {
        const set = PortSet.range(1, 50);
        const u = new Set(used);
        const p = pickFree(
          set,
          (x) => u.has(x),
          () => r,
        );
        if (u.size === 50) expect(p).toBeUndefined();
        else {
          expect(set.has(p!)).toBe(true);
          expect(u.has(p!)).toBe(false);
        }
      }),
    );
  });
});

describe('planMutation', () => {
  it('assigns unset nodePorts from the static band, avoiding used ports', () => {
    const state = emptyState(partly);
    state.inventory.upsert(service([{ port: 1, nodePort: 30000 }], { type: 'NodePort' }));
    state.inventory.upsert({
      ...service([{ port: 1, nodePort: 30001 }]),
      metadata: { name: 'o', namespace: 'n' },
    });
    const plan = planMutation(service([{ port: 80 }, { port: 81 }]), state, DEFAULT_POLICY, seq([0]));
    expect(plan.changed).toBe(true);
    const ports = plan.object.spec.ports.map((p: { nodePort: number }) => p.nodePort);
    expect(ports).toEqual([30002, 30003]);
  });

  it('is idempotent', () => {
    const state = emptyState(partly);
    const first = planMutation(service([{ port: 80 }]), state, DEFAULT_POLICY, Math.random);
    const second = planMutation(first.object, state, DEFAULT_POLICY, Math.random);
    expect(first.changed).toBe(true);
    expect(second.changed).toBe(false);
    expect(second.object).toEqual(first.object);
  });

  it('leaves ports alone when auto-allocation is safe anyway', () => {
    const plan = planMutation(service([{ port: 80 }]), emptyState(), DEFAULT_POLICY, Math.random);
    expect(plan.changed).toBe(false);
  });

  it('adds a note and no change when no safe port exists', () => {
    const plan = planMutation(service([{ port: 80 }]), emptyState(widened), DEFAULT_POLICY, Math.random);
    expect(plan.changed).toBe(false);
    expect(plan.notes.join()).toMatch(/no free nodePort/);
  });

  it('assigns healthCheckNodePort for LoadBalancer Local', () => {
    const svc = service([{ port: 443 }], { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    const plan = planMutation(svc, emptyState(partly), DEFAULT_POLICY, Math.random);
    expect(plan.object.spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(plan.object.spec.healthCheckNodePort).toBeLessThan(30050);
    expect(plan.object.spec.healthCheckNodePort).not.toBe(plan.object.spec.ports[0].nodePort);
  });

  it('respects the assignNodePorts switch', () => {
    const policy = { ...DEFAULT_POLICY, mutations: { assignNodePorts: false, reservePorts: true } };
    expect(planMutation(service([{ port: 80 }]), emptyState(partly), policy, Math.random).changed).toBe(
      false,
    );
  });

  const pod = (sysctls: object[], hostNetwork = false) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'n' },
    spec: { hostNetwork, securityContext: { sysctls }, containers: [{ name: 'c', image: 'i' }] },
  });

  it.each([
    [
      'adds reserved ports for the overlap',
      [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }],
      '30000-32767',
    ],
    [
      'merges with an existing value',
      [
        { name: 'net/ipv4/ip_local_port_range', value: '31000 65535' },
        { name: 'net.ipv4.ip_local_reserved_ports', value: '8080,31000-31010' },
      ],
      '8080,31000-32767',
    ],
    [
      // normalised as script writes are (src/shell/sysctl-name.ts), whitespace included
      'finds the range whatever form its name has',
      [{ name: ' net/ipv4/ip_local_port_range ', value: '1024 65535' }],
      '30000-32767',
    ],
  ])('%s', (_n, sysctls, expected) => {
    const plan = planMutation(pod(sysctls), emptyState(), DEFAULT_POLICY, Math.random);
    expect(plan.changed).toBe(true);
    const reserved = plan.object.spec.securityContext.sysctls.find(
      (s: { name: string }) => s.name === 'net.ipv4.ip_local_reserved_ports',
    );
    expect(reserved.value).toBe(expected);
    expect(planMutation(plan.object, emptyState(), DEFAULT_POLICY, Math.random).changed).toBe(false);
  });

  it.each([
    ['no overlap', [{ name: 'net.ipv4.ip_local_port_range', value: '40000 60999' }], false],
    [
      'already covered',
      [
        { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
        { name: 'net.ipv4.ip_local_reserved_ports', value: '30000-32767' },
      ],
      false,
    ],
    [
      'unparseable reserved value',
      [
        { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
        { name: 'net.ipv4.ip_local_reserved_ports', value: 'oops' },
      ],
      false,
    ],
    [
      'hostNetwork pod (kubelet rejects net sysctls there)',
      [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }],
      true,
    ],
  ])('does not touch sysctls: %s', (_n, sysctls, hostNetwork) => {
    expect(
      planMutation(pod(sysctls, hostNetwork === true), emptyState(), DEFAULT_POLICY, Math.random).changed,
    ).toBe(false);
  });
});

describe('planMutation copies only what it changes', () => {
  const reserve = [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }];
  const podSpec = (sysctls: object[]) => ({
    securityContext: { sysctls },
    containers: [{ name: 'c', image: 'i' }],
  });
  const deployment = (sysctls: object[]) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'n' },
    spec: { template: { metadata: {}, spec: podSpec(sysctls) } },
  });
  const cronJob = (sysctls: object[]) => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'c', namespace: 'n' },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec(sysctls) } } } },
  });
  const pod = (sysctls: object[]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'n' },
    spec: podSpec(sysctls),
  });

  it.each([
    ['Service, unset nodePort', service([{ port: 80 }]), partly, true],
    [
      'Service, LoadBalancer Local',
      service([{ port: 443, nodePort: 30010 }], { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }),
      partly,
      true,
    ],
    ['Service, nothing to assign', service([{ port: 80, nodePort: 30001 }]), partly, false],
    ['Service, no safe port', service([{ port: 80 }]), widened, false],
    ['Pod, reserve', pod(reserve), undefined, true],
    [
      'Pod, extend',
      pod([...reserve, { name: 'net.ipv4.ip_local_reserved_ports', value: '8080' }]),
      undefined,
      true,
    ],
    [
      'Pod, no overlap',
      pod([{ name: 'net.ipv4.ip_local_port_range', value: '40000 60999' }]),
      undefined,
      false,
    ],
    ['Deployment template, reserve', deployment(reserve), undefined, true],
    [
      'CronJob template, extend',
      cronJob([...reserve, { name: 'net.ipv4.ip_local_reserved_ports', value: '1-2' }]),
      undefined,
      true,
    ],
    ['ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, undefined, false],
    ['not an object', 'text', undefined, false],
  ])('%s: the input is never modified; unchanged plans return it as is', (_n, object, ranges, changes) => {
    const before = structuredClone(object);
    const plan = planMutation(object, emptyState(ranges), DEFAULT_POLICY, seq([0.5]));
    expect(object).toEqual(before);
    expect(plan.changed).toBe(changes);
    if (changes) expect(plan.object).not.toBe(object);
    else expect(plan.object).toBe(object);
  });

  it.each([
    ['Deployment', deployment(reserve), (o: Json) => o.spec.template.spec],
    [
      'CronJob',
      cronJob([...reserve, { name: 'net.ipv4.ip_local_reserved_ports', value: '1-2' }]),
      (o: Json) => o.spec.jobTemplate.spec.template.spec,
    ],
  ])('%s: writes the reservation into the copied template', (_n, object, specOf) => {
    const plan = planMutation(object, emptyState(), DEFAULT_POLICY, Math.random);
    const reserved = specOf(plan.object).securityContext.sysctls.find(
      (s: { name: string }) => s.name === 'net.ipv4.ip_local_reserved_ports',
    );
    expect(reserved.value).toMatch(/30000-32767$/);
    expect(planMutation(plan.object, emptyState(), DEFAULT_POLICY, Math.random).changed).toBe(false);
  });

  it('assigns the same ports as before for the same random sequence', () => {
    const svc = service([{ port: 80 }, { port: 81, nodePort: 30003 }, { port: 82 }], {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
    });
    const plan = planMutation(svc, emptyState(partly), DEFAULT_POLICY, seq([0.1, 0.5, 0.9]));
    expect(plan.object.spec.ports.map((p: { nodePort?: number }) => p.nodePort)).toEqual([
      30005, 30003, 30025,
    ]);
    expect(plan.object.spec.healthCheckNodePort).toBe(30045);
    expect(plan.notes).toHaveLength(3);
  });
});

describe('planMutation shares what it does not change', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'n', labels: { app: 'd' } },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: {
          securityContext: {
            runAsUser: 1000,
            sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }],
          },
          containers: [{ name: 'c', image: 'i' }],
        },
      },
    },
  };

  it('copies only the containers on the written paths', () => {
    const plan = planMutation(deployment, emptyState(), DEFAULT_POLICY, Math.random);
    const spec = plan.object.spec.template.spec;
    expect(plan.object.metadata).toBe(deployment.metadata);
    expect(plan.object.spec.selector).toBe(deployment.spec.selector);
    expect(plan.object.spec.template.metadata).toBe(deployment.spec.template.metadata);
    expect(spec.containers).toBe(deployment.spec.template.spec.containers);
    expect(spec.securityContext).not.toBe(deployment.spec.template.spec.securityContext);
    expect(spec.securityContext.sysctls[0]).toBe(deployment.spec.template.spec.securityContext.sysctls[0]);
    expect(spec.securityContext.sysctls).toHaveLength(2);
    expect(deployment.spec.template.spec.securityContext.sysctls).toHaveLength(1);
  });

  it('gives the same JSON Patch as a diff against an unshared copy', () => {
    const port = fc.record({
      port: fc.integer({ min: 1, max: 65535 }),
      nodePort: fc.option(fc.integer({ min: 30000, max: 30049 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(port, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (ports, lb, r) => {
          const svc = service(
            ports.map((p) => (p.nodePort === undefined ? { port: p.port } : p)),
            lb ? { type: 'LoadBalancer', externalTrafficPolicy: 'Local' } : {},
          );
          const before = structuredClone(svc);
          const plan = planMutation(svc, emptyState(partly), DEFAULT_POLICY, () => r);
          expect(svc).toEqual(before);
          const shared = jsonPatch.compare(svc, plan.object);
          expect(shared).toEqual(jsonPatch.compare(svc, structuredClone(plan.object)));
          expect(jsonPatch.applyPatch(structuredClone(svc), shared).newDocument).toEqual(plan.object);
          expect(shared.length > 0).toBe(plan.changed);
        },
      ),
    );
  });
});

describe('planMutation with recent assignments (picks the informer has not shown yet)', () => {
  const recent = (reserved: number[], mine: Record<string, number> = {}) => ({
    reserved: new Set(reserved),
    mine: new Map(Object.entries(mine)),
  });
  const heldBy = (port: number) => ({
    ...service([{ port: 1, nodePort: port }]),
    metadata: { name: `holder-${port}`, namespace: 'n' },
  });
  const nodePortOf = (plan: { object: Json }) => plan.object.spec.ports[0].nodePort;

  it.each([
    ['skips reserved ports', recent([30000, 30001]), [], 30002],
    ['takes its own earlier pick again', recent([30020], { 'nodePort/0/TCP': 30020 }), [], 30020],
    [
      'picks anew when the inventory shows its earlier pick held',
      recent([30020], { 'nodePort/0/TCP': 30020 }),
      [30020],
      30000,
    ],
    [
      'picks anew when its earlier pick is no longer safe',
      recent([], { 'nodePort/0/TCP': 30060 }),
      [],
      30000,
    ],
    ['does not reuse a pick of another slot', recent([30020], { 'nodePort/0/UDP': 30020 }), [], 30000],
  ])('%s', (_n, r, held, want) => {
    const state = emptyState(partly);
    for (const p of held) state.inventory.upsert(heldBy(p));
    const plan = planMutation(service([{ port: 80 }]), state, DEFAULT_POLICY, seq([0]), r);
    expect(nodePortOf(plan)).toBe(want);
    expect(plan.assigned).toEqual([{ slot: 'nodePort/0/TCP', port: want, protocol: 'TCP' }]);
  });

  it('reports every assignment by slot, and none when reinvoked on its own output', () => {
    const svc = service([{ port: 80 }, { port: 53, protocol: 'UDP' }], {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
    });
    const state = emptyState(partly);
    const plan = planMutation(svc, state, DEFAULT_POLICY, seq([0.1, 0.5, 0.9]));
    expect(plan.assigned.map((a) => [a.slot, a.protocol])).toEqual([
      ['nodePort/0/TCP', 'TCP'],
      ['nodePort/1/UDP', 'UDP'],
      ['healthCheckNodePort', 'TCP'],
    ]);
    expect(plan.assigned.map((a) => a.port)).toEqual([
      plan.object.spec.ports[0].nodePort,
      plan.object.spec.ports[1].nodePort,
      plan.object.spec.healthCheckNodePort,
    ]);
    const mine = Object.fromEntries(plan.assigned.map((a) => [a.slot, a.port + 1]));
    const again = planMutation(plan.object, state, DEFAULT_POLICY, Math.random, recent([], mine));
    expect(again.changed).toBe(false);
    expect(again.assigned).toEqual([]);
    expect(again.object).toBe(plan.object);
  });

  it('never picks a reserved or used port, always a safe one, never twice', () => {
    const safe = PortSet.range(30000, 30049);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 30000, max: 30049 }), { maxLength: 40 }),
        fc.uniqueArray(fc.integer({ min: 30000, max: 30049 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (reserved, used, n, r) => {
          const state = emptyState(partly);
          for (const p of used) state.inventory.upsert(heldBy(p));
          const ports = Array.from({ length: n }, (_, i) => ({ port: 80 + i }));
          const plan = planMutation(service(ports), state, DEFAULT_POLICY, () => r, recent(reserved));
          const picked = plan.assigned.map((a) => a.port);
          const free = safe.size() - new Set([...reserved, ...used]).size;
          expect(picked).toHaveLength(Math.min(n, free));
          expect(new Set(picked).size).toBe(picked.length);
          for (const p of picked) {
            expect(safe.has(p)).toBe(true);
            expect(reserved).not.toContain(p);
            expect(used).not.toContain(p);
          }
        },
      ),
    );
  });
});

describe('planMutation avoids ports a node process listens on', () => {
  const ranges = (data: Record<string, string>) => {
    const { ranges, errors } = parseNodeRanges(data);
    expect(errors).toEqual([]);
    return ranges;
  };
  const nodePorts = (plan: { object: Json }) => plan.object.spec.ports.map((p: Json) => p.nodePort);

  it.each([
    [
      'a TCP listener in the static band is skipped for a TCP port',
      { 'node.a': '{"ipLocalPortRange":"30050 60999","listeners":{"tcp":"30000-30002"}}' },
      [{ port: 80 }],
      [30003],
    ],
    [
      'a UDP listener does not stop a TCP pick',
      { 'node.a': '{"ipLocalPortRange":"30050 60999","listeners":{"udp":"30000"}}' },
      [{ port: 80 }],
      [30000],
    ],
    [
      'a UDP listener is skipped for a UDP port',
      { 'node.a': '{"ipLocalPortRange":"30050 60999","listeners":{"udp":"30000"}}' },
      [{ port: 53, protocol: 'UDP' }],
      [30001],
    ],
    [
      'listeners on several nodes all count',
      {
        'node.a': '{"ipLocalPortRange":"30050 60999","listeners":{"tcp":"30000"}}',
        'node.b': '{"ipLocalPortRange":"30050 60999","listeners":{"tcp":"30001"}}',
      },
      [{ port: 80 }, { port: 81 }],
      [30002, 30003],
    ],
    [
      'without ephemeral overlap, a listener in the NodePort range still makes it assign',
      { 'node.a': '{"listeners":{"tcp":"30000,30001"}}' },
      [{ port: 80 }],
      [30002],
    ],
  ])('%s', (_n, data, ports, want) => {
    const plan = planMutation(service(ports), emptyState(ranges(data)), DEFAULT_POLICY, seq([0]));
    expect(nodePorts(plan)).toEqual(want);
    expect(plan.notes.join('\n')).toContain('held by no listener on any node');
  });

  it('leaves auto-allocation alone when listeners hold no NodePort of the protocols it needs', () => {
    for (const data of [
      { 'node.a': '{"listeners":{"tcp":"22,10250"}}' },
      { 'node.a': '{"listeners":{"udp":"30000"}}' },
      { 'node.a': '{"listeners":{"tcp":"22"},"listenersTruncated":true}' },
    ]) {
      const plan = planMutation(service([{ port: 80 }]), emptyState(ranges(data)), DEFAULT_POLICY, seq([0]));
      expect(plan.changed, JSON.stringify(data)).toBe(false);
    }
  });

  it('picks anew when its earlier pick is now held by a listener', () => {
    const state = emptyState(
      ranges({ 'node.a': '{"ipLocalPortRange":"30050 60999","listeners":{"tcp":"30020"}}' }),
    );
    const recent = { reserved: new Set([30020]), mine: new Map([['nodePort/0/TCP', 30020]]) };
    const plan = planMutation(service([{ port: 80 }]), state, DEFAULT_POLICY, seq([0]), recent);
    expect(nodePorts(plan)).toEqual([30000]);
  });

  it('never picks a listened port of the same protocol', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 30000, max: 30049 }), { maxLength: 45 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (held, n, r) => {
          const tcp = held.length > 0 ? held.join(',') : '';
          const state = emptyState(
            ranges({ 'node.a': `{"ipLocalPortRange":"30050 60999","listeners":{"tcp":"${tcp}"}}` }),
          );
          const ports = Array.from({ length: n }, (_, i) => ({ port: 80 + i }));
          const plan = planMutation(service(ports), state, DEFAULT_POLICY, () => r);
          const picked = plan.assigned.map((a) => a.port);
          expect(picked).toHaveLength(Math.min(n, 50 - held.length));
          for (const p of picked) expect(held).not.toContain(p);
        },
      ),
    );
  });
});
