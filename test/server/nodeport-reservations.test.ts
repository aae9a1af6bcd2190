import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Assignment, planMutation } from '../../src/core/mutate.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { emptyState } from '../../src/core/state.js';
import { createMetrics } from '../../src/server/metrics.js';
import {
  DEFAULT_RESERVATION_TTL_MS,
  NodePortReservations,
  reservationKey,
} from '../../src/server/nodeport-reservations.js';

/** band 30000-30049 is safe, nothing else. */
const partly = parseNodeRanges({ 'node.w1': '{"ipLocalPortRange": "30050 60999"}' }).ranges;

function fakeClock() {
  const clock = { t: 1_000, now: () => clock.t };
  return clock;
}

const tcp = (port: number, slot = 'nodePort/0/TCP'): Assignment => ({ slot, port, protocol: 'TCP' });

function service(name: string, ports: object[], namespace = 'apps') {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { type: 'NodePort', ports },
  };
}

describe('reservationKey', () => {
  it.each([
    ['a named object: namespace/name', { metadata: { name: 'web', namespace: 'shop' } }, 'shop/web'],
    ['namespace from the request when the object has none', { metadata: { name: 'web' } }, 'req-ns/web'],
    ['generateName: the request uid', { metadata: { generateName: 'web-', namespace: 'shop' } }, 'uid:u1'],
    ['no metadata: the request uid', {}, 'uid:u1'],
    ['not an object: the request uid', 'text', 'uid:u1'],
  ])('%s', (_n, object, want) => {
    expect(reservationKey('u1', 'req-ns', object)).toBe(want);
  });
});

describe('NodePortReservations', () => {
  it.each([
    [0, true],
    [DEFAULT_RESERVATION_TTL_MS - 1, true],
    [DEFAULT_RESERVATION_TTL_MS, false],
  ])('a port reserved %i ms ago is live: %s', (elapsed, live) => {
    const clock = fakeClock();
    const r = new NodePortReservations({ now: clock.now });
    r.remember('apps/a', [tcp(30010)], emptyState().inventory);
    clock.t += elapsed;
    expect(r.recentFor('apps/b').reserved.has(30010)).toBe(live);
    expect(r.recentFor('apps/a').mine.get('nodePort/0/TCP')).toBe(live ? 30010 : undefined);
  });

  it('forgets expired reservations on the next remember', () => {
    const clock = fakeClock();
    const r = new NodePortReservations({ now: clock.now, ttlMs: 100 });
    const inventory = emptyState().inventory;
    r.remember('apps/a', [tcp(30010)], inventory);
    clock.t += 100;
    r.remember('apps/b', [tcp(30011)], inventory);
    expect(r.size).toBe(1);
    expect(r.recentFor('apps/a').mine.size).toBe(0);
  });

  it.each([
    ['a Service holding the port and protocol', service('other', [{ port: 1, nodePort: 30010 }]), 0],
    [
      'the same port under another protocol',
      service('other', [{ port: 1, protocol: 'UDP', nodePort: 30010 }]),
      1,
    ],
    [
      'a host port on the same number',
      {
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'apps' },
        spec: { containers: [{ name: 'c', ports: [{ containerPort: 1, hostPort: 30010 }] }] },
      },
      1,
    ],
  ])('the inventory showing %s leaves %i reservation(s)', (_n, object, left) => {
    const clock = fakeClock();
    const r = new NodePortReservations({ now: clock.now });
    const state = emptyState();
    r.remember('apps/a', [tcp(30010)], state.inventory);
    state.inventory.upsert(object);
    r.prune(state.inventory);
    expect(r.size).toBe(left);
  });

  it('keeps one port per slot: a new pick for a slot frees the old one', () => {
    const r = new NodePortReservations({ now: fakeClock().now });
    const inventory = emptyState().inventory;
    r.remember('apps/a', [tcp(30010), tcp(30020, 'healthCheckNodePort')], inventory);
    r.remember('apps/a', [tcp(30011)], inventory);
    expect(r.recentFor('apps/b').reserved.has(30010)).toBe(false);
    expect(Object.fromEntries(r.recentFor('apps/a').mine)).toEqual({
      'nodePort/0/TCP': 30011,
      healthCheckNodePort: 30020,
    });
    expect(r.size).toBe(2);
  });

  it('refreshes the TTL of a port remembered again for the same slot', () => {
    const clock = fakeClock();
    const r = new NodePortReservations({ now: clock.now, ttlMs: 100 });
    const inventory = emptyState().inventory;
    r.remember('apps/a', [tcp(30010)], inventory);
    clock.t += 60;
    r.remember('apps/a', [tcp(30010)], inventory);
    clock.t += 60;
    expect(r.recentFor('apps/b').reserved.has(30010)).toBe(true);
    expect(r.size).toBe(1);
  });

  it('the gauge counts unexpired reservations when scraped', async () => {
    const clock = fakeClock();
    const r = new NodePortReservations({ now: clock.now, ttlMs: 100 });
    const metrics = createMetrics(undefined, { reservedNodePorts: () => r.liveCount() });
    const gauge = async () =>
      /^portguard_reserved_nodeports (\d+)$/m.exec(await metrics.registry.metrics())?.[1];
    expect(await gauge()).toBe('0');
    r.remember('apps/a', [tcp(30010), tcp(30011, 'nodePort/1/TCP')], emptyState().inventory);
    expect(await gauge()).toBe('2');
    clock.t += 100;
    expect(await gauge()).toBe('0');
  });

  it('never holds more reservations than the range has safe ports, however many creates arrive', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 3 })), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (creates, rnd) => {
          const r = new NodePortReservations({ now: fakeClock().now });
          const state = emptyState(partly);
          // A flood of creates the informer never shows: names repeat (retries) or not.
          for (const [name, n] of creates) {
            const svc = service(
              `s${name}`,
              Array.from({ length: n }, (_, i) => ({ port: 80 + i })),
            );
            const key = reservationKey('uid', 'apps', svc);
            const plan = planMutation(svc, state, DEFAULT_POLICY, () => rnd, r.recentFor(key));
            r.remember(key, plan.assigned, state.inventory);
            expect(r.size).toBeLessThanOrEqual(50);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
