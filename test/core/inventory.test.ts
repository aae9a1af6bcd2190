import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OwnerClass, PortInventory } from '../../src/core/inventory.js';
import type { PortOwner } from '../../src/core/types.js';

function service(name: string, ...nodePorts: number[]) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'NodePort', ports: nodePorts.map((nodePort, i) => ({ port: 80 + i, nodePort })) },
  };
}

function hostPod(name: string, ...ports: number[]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      hostNetwork: true,
      containers: [{ name: 'c', image: 'x', ports: ports.map((containerPort) => ({ containerPort })) }],
    },
  };
}

function hostPortDeployment(name: string, hostPort: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      template: {
        spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080, hostPort }] }] },
      },
    },
  };
}

const names = (owners: PortOwner[]) => owners.map((o) => `${o.kind}/${o.name}`);

describe('PortInventory.ownersOfClass', () => {
  const inv = new PortInventory();
  inv.upsert(hostPod('exporter-a', 9100));
  inv.upsert(service('web', 9100, 31000));
  inv.upsert(hostPortDeployment('agent', 9100));
  inv.upsert(hostPod('exporter-b', 9100, 9100));

  it.each<[OwnerClass | 'all', number, string | undefined, string[]]>([
    [
      'all',
      9100,
      undefined,
      ['Service/web', 'Pod/exporter-a', 'Deployment/agent', 'Pod/exporter-b', 'Pod/exporter-b'],
    ],
    ['service', 9100, undefined, ['Service/web']],
    ['host', 9100, undefined, ['Pod/exporter-a', 'Deployment/agent', 'Pod/exporter-b', 'Pod/exporter-b']],
    ['host', 9100, 'Pod/default/exporter-a', ['Deployment/agent', 'Pod/exporter-b', 'Pod/exporter-b']],
    ['service', 9100, 'Service/default/web', []],
    ['service', 31000, undefined, ['Service/web']],
    ['host', 31000, undefined, []],
    ['service', 1234, undefined, []],
  ])('%s owners of %i excluding %s', (cls, port, exclude, expected) => {
    const owners =
      cls === 'all' ? inv.ownersOf('TCP', port, exclude) : inv.ownersOfClass(cls, 'TCP', port, exclude);
    expect(names(owners)).toEqual(expected);
  });

  it('forgets a removed object in every class', () => {
    const copy = new PortInventory();
    copy.upsert(service('web', 9100));
    copy.upsert(hostPod('exporter-a', 9100));
    copy.remove(service('web'));
    expect(names(copy.ownersOfClass('service', 'TCP', 9100))).toEqual([]);
    expect(names(copy.ownersOfClass('host', 'TCP', 9100))).toEqual(['Pod/exporter-a']);
    copy.remove(hostPod('exporter-a'));
    expect(copy.ownersOf('TCP', 9100)).toEqual([]);
    expect(copy.isUsed(9100)).toBe(false);
  });
});

describe('PortInventory.ownersOfClass properties', () => {
  // Small name and port universes, so upserts replace objects and ports are shared often.
  const opArb = fc.record({
    op: fc.constantFrom('upsert', 'upsert', 'remove'),
    kind: fc.constantFrom('Service', 'Pod', 'Deployment'),
    name: fc.constantFrom('a', 'b', 'c', 'd'),
    ports: fc.array(fc.integer({ min: 30000, max: 30003 }), { minLength: 1, maxLength: 3 }),
  });

  it('match a model of the live objects, in upsert order, after any upserts and removes', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 40 }),
        fc.constantFrom(undefined, 'Pod/default/a', 'Service/default/b'),
        (ops, exclude) => {
          const inv = new PortInventory();
          // key -> [kind/name, ports it holds], re-inserted on upsert like the inventory's maps.
          const model = new Map<string, [string, number[]]>();
          for (const { op, kind, name, ports } of ops) {
            const object =
              kind === 'Service'
                ? service(name, ...ports)
                : kind === 'Pod'
                  ? hostPod(name, ...ports)
                  : hostPortDeployment(name, ports[0]!);
            const key = `${kind}/default/${name}`;
            model.delete(key);
            if (op === 'upsert') {
              inv.upsert(object);
              model.set(key, [`${kind}/${name}`, kind === 'Deployment' ? [ports[0]!] : ports]);
            } else inv.remove(object);
          }
          const expected = (port: number, isService: boolean) =>
            [...model]
              .filter(([key, [id]]) => key !== exclude && id.startsWith('Service/') === isService)
              .flatMap(([, [id, held]]) => held.filter((p) => p === port).map(() => id));
          for (let port = 30000; port <= 30003; port++) {
            const services = expected(port, true);
            const hosts = expected(port, false);
            expect(names(inv.ownersOfClass('service', 'TCP', port, exclude))).toEqual(services);
            expect(names(inv.ownersOfClass('host', 'TCP', port, exclude))).toEqual(hosts);
            expect(names(inv.ownersOf('TCP', port, exclude))).toEqual([...services, ...hosts]);
            expect(inv.isUsed(port)).toBe([...model.values()].some(([, held]) => held.includes(port)));
          }
        },
      ),
    );
  });
});
