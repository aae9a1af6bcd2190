import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRanges, type NodeInfo, parseNodeRanges } from '../../src/core/node-ranges.js';
import { viewOf } from '../../src/core/object-view.js';
import {
  DEFAULT_NODES,
  HOSTNAME_LABEL,
  PLACEMENT_CACHE_SIZE,
  placementOf,
  profilesOf,
} from '../../src/core/placement.js';

const { ranges } = parseNodeRanges({
  'node.a1': '{"ipLocalPortRange": "1024 65535", "labels": {"pool": "a", "zone": "z1", "gpus": "4"}}',
  'node.a2': '{"ipLocalPortRange": "1024 65535", "labels": {"pool": "a", "zone": "z2", "gpus": "0"}}',
  'node.b1': '{"labels": {"pool": "b", "zone": "z1"}}',
});

/** The same nodes with the labels a Node informer gives: complete, so missing keys are missing. */
function withLabels(labelsComplete: boolean, nodes = [...ranges.nodes.values()]) {
  const map = new Map(nodes.map((n) => [n.name, { ...n, labelsComplete }]));
  return buildRanges(ranges.nodePortRange, ranges.defaultProfile, map, 'test');
}
const exact = withLabels(true);

function podWith(spec: object) {
  return viewOf({ kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { containers: [], ...spec } })!
    .pod!;
}

const term = (matchExpressions: object[], matchFields?: object[]) => ({
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions, matchFields }],
      },
    },
  },
});
const expr = (key: string, operator: string, values?: string[]) => term([{ key, operator, values }]);

describe('placementOf', () => {
  // b1 carries no `gpus` label. With complete labels that is a fact; with a ConfigMap
  // entry's labels it is unknown, so b1 may match whatever asks about `gpus`.
  it.each([
    ['no constraints', {}, ['a1', 'a2', 'b1'], ['a1', 'a2', 'b1']],
    ['nodeName known', { nodeName: 'a2' }, ['a2'], ['a2']],
    ['nodeSelector, key on every node', { nodeSelector: { pool: 'a' } }, ['a1', 'a2'], ['a1', 'a2']],
    ['nodeSelector, key missing on b1', { nodeSelector: { gpus: '4' } }, ['a1'], ['a1', 'b1']],
    ['nodeSelector two labels', { nodeSelector: { pool: 'a', zone: 'z1' } }, ['a1'], ['a1']],
    ['nodeSelector partly missing', { nodeSelector: { zone: 'z1', gpus: '0' } }, [], ['b1']],
    ['In, key present', expr('zone', 'In', ['z1']), ['a1', 'b1'], ['a1', 'b1']],
    ['In, key missing on b1', expr('gpus', 'In', ['4']), ['a1'], ['a1', 'b1']],
    ['NotIn, key present', expr('pool', 'NotIn', ['a']), ['b1'], ['b1']],
    ['NotIn, key missing on b1', expr('gpus', 'NotIn', ['4']), ['a2', 'b1'], ['a2', 'b1']],
    ['Exists, key present', expr('zone', 'Exists'), ['a1', 'a2', 'b1'], ['a1', 'a2', 'b1']],
    ['Exists, key missing on b1', expr('gpus', 'Exists'), ['a1', 'a2'], ['a1', 'a2', 'b1']],
    ['DoesNotExist, key present', expr('pool', 'DoesNotExist'), [], []],
    ['DoesNotExist, key missing on b1', expr('gpus', 'DoesNotExist'), ['b1'], ['b1']],
    ['Gt, key present', expr('gpus', 'Gt', ['1']), ['a1'], ['a1', 'b1']],
    ['Gt on a non-integer label', expr('zone', 'Gt', ['1']), [], []],
    ['Gt with a malformed bound', expr('gpus', 'Gt', ['x']), ['a1', 'a2', 'b1'], ['a1', 'a2', 'b1']],
    ['Lt, key missing on b1', expr('gpus', 'Lt', ['1']), ['a2'], ['a2', 'b1']],
    ['Lt, beyond 2^53', expr('gpus', 'Lt', ['9007199254740993']), ['a1', 'a2'], ['a1', 'a2', 'b1']],
    ['an unknown operator', expr('pool', 'Near', ['a']), ['a1', 'a2', 'b1'], ['a1', 'a2', 'b1']],
    [
      'matchFields name',
      term([], [{ key: 'metadata.name', operator: 'In', values: ['b1'] }]),
      ['b1'],
      ['b1'],
    ],
    // Partial labels: the name stands in for the hostname label kubelet sets.
    ['hostname selector', { nodeSelector: { [HOSTNAME_LABEL]: 'b1' } }, [], ['b1']],
    ['hostname NotIn', expr(HOSTNAME_LABEL, 'NotIn', ['b1']), ['a1', 'a2', 'b1'], ['a1', 'a2']],
    [
      'selector and affinity combine',
      { nodeSelector: { pool: 'a' }, ...expr('zone', 'In', ['z2']) },
      ['a2'],
      ['a2'],
    ],
    [
      'terms are ORed',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] },
                { matchExpressions: [{ key: 'gpus', operator: 'Exists' }] },
              ],
            },
          },
        },
      },
      ['a1', 'a2'],
      ['a1', 'a2', 'b1'],
    ],
  ])('%s', (_name, spec, withComplete, withPartial) => {
    expect(placementOf(podWith(spec), exact, false).nodes.map((n) => n.name)).toEqual(withComplete);
    expect(placementOf(podWith(spec), ranges, false).nodes.map((n) => n.name)).toEqual(withPartial);
  });

  it('reads ConfigMap labels as partial', () => {
    expect([...ranges.nodes.values()].map((n) => n.labelsComplete)).toEqual([false, false, false]);
  });

  it('drops unknown nodes once the node list is complete', () => {
    expect(placementOf(podWith({ nodeSelector: { pool: 'a' } }), exact, true).includesDefault).toBe(false);
  });

  it('groups candidates by profile and adds the default pseudo-node', () => {
    const groups = profilesOf(placementOf(podWith({ nodeSelector: { zone: 'z1' } }), ranges, false), ranges);
    expect(groups.map((g) => g.nodes)).toEqual([['a1'], ['b1', DEFAULT_NODES]]);
  });
});

describe('a pod no current node can take', () => {
  const empty = withLabels(true, []);
  // [case, spec, ranges, complete list, nodes, includesDefault, noCurrentMatch]
  it.each([
    ['selector on a pool scaled to zero', { nodeSelector: { pool: 'c' } }, exact, true, [], true, 'selector'],
    ['affinity on a pool not joined', expr('pool', 'In', ['c']), exact, true, [], true, 'selector'],
    ['nodeName of no node', { nodeName: 'zz' }, exact, true, [], true, 'nodeName'],
    ['no constraint, no nodes', {}, empty, true, [], true, 'noNodes'],
    [
      'selector on a pool with nodes',
      { nodeSelector: { pool: 'a' } },
      exact,
      true,
      ['a1', 'a2'],
      false,
      undefined,
    ],
    ['no constraint', {}, exact, true, ['a1', 'a2', 'b1'], false, undefined],
    // An incomplete list keeps `*` (nodes without an entry), so nothing is missing.
    ['selector, incomplete list', { nodeSelector: { pool: 'c' } }, exact, false, [], true, undefined],
    ['nodeName, incomplete list', { nodeName: 'zz' }, exact, false, [], true, undefined],
    ['no constraint, no nodes, incomplete list', {}, empty, false, [], true, undefined],
  ] as const)('%s', (_name, spec, r, complete, nodes, includesDefault, noCurrentMatch) => {
    const p = placementOf(podWith(spec), r, complete);
    expect(p.nodes.map((n) => n.name)).toEqual(nodes);
    expect(p.includesDefault).toBe(includesDefault);
    expect(p.noCurrentMatch).toBe(noCurrentMatch);
  });

  it('is judged on the default profile alone', () => {
    const groups = profilesOf(placementOf(podWith({ nodeSelector: { pool: 'c' } }), exact, true), exact);
    expect(groups).toEqual([{ profile: exact.defaultProfile, nodes: [DEFAULT_NODES] }]);
  });
});

describe('placement properties', () => {
  const keys = ['pool', 'zone', 'gpus'];
  const values = ['a', 'b', '0', '3', '-2', ''];
  const value = fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 3 }));
  const integer = fc.integer({ min: -3, max: 5 }).map(String);
  // Requirements the API accepts: Gt/Lt take one integer, Exists/DoesNotExist no values.
  const requirement = fc.oneof(
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom('In', 'NotIn'),
      values: fc.array(fc.constantFrom(...values), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom('Exists', 'DoesNotExist'),
      values: fc.constant<string[]>([]),
    }),
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom('Gt', 'Lt'),
      values: integer.map((v) => [v]),
    }),
  );
  const spec = fc.record(
    {
      nodeSelector: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 2 }),
      affinity: fc
        .array(fc.array(requirement, { maxLength: 3 }), { minLength: 1, maxLength: 3 })
        .map((terms) => ({
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })),
            },
          },
        })),
    },
    { requiredKeys: [] },
  );
  const labels = fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 3 });

  function rangesOf(nodes: Omit<NodeInfo, 'profile'>[]) {
    const map = new Map(nodes.map((n) => [n.name, { ...n, profile: ranges.defaultProfile }]));
    return buildRanges(ranges.nodePortRange, ranges.defaultProfile, map, 'test');
  }

  it('never drops a node with partial labels that could carry a matching value for a missing key', () => {
    fc.assert(
      fc.property(spec, labels, fc.constantFrom(...keys), value, (s, known, key, filled) => {
        const rest = { ...known };
        delete rest[key];
        const r = rangesOf([
          { name: 'missing', labels: rest, labelsComplete: false },
          { name: 'filled', labels: { ...rest, [key]: filled }, labelsComplete: false },
          { name: 'filled-exact', labels: { ...rest, [key]: filled }, labelsComplete: true },
          { name: 'absent-exact', labels: rest, labelsComplete: true },
        ]);
        const names = placementOf(podWith(s), r, true).nodes.map((n) => n.name);
        if (names.some((n) => n !== 'missing')) expect(names).toContain('missing');
      }),
    );
  });

  it('matches complete labels exactly as the scheduler does', () => {
    fc.assert(
      fc.property(spec, labels, (s, l) => {
        const r = rangesOf([{ name: 'n', labels: l, labelsComplete: true }]);
        expect(placementOf(podWith(s), r, true).nodes.length === 1).toBe(schedulerMatches(l, s));
      }),
    );
  });
});

type Expr = { key: string; operator: string; values: string[] };

/**
 * The scheduler's rule, restated from the Kubernetes API reference: nodeSelector is label
 * equality, terms are ORed, expressions ANDed, Gt/Lt compare integers (a missing or
 * non-integer label never matches).
 */
function schedulerMatches(
  labels: Record<string, string>,
  spec: {
    nodeSelector?: Record<string, string>;
    affinity?: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: { matchExpressions: Expr[] }[] };
      };
    };
  },
): boolean {
  const selectorOk = Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
  const terms = spec.affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  if (!selectorOk || !terms) return selectorOk;
  const int = (s: string | undefined) => (s !== undefined && /^[+-]?\d+$/.test(s) ? BigInt(s) : undefined);
  const exprOk = (e: Expr): boolean => {
    const has = Object.hasOwn(labels, e.key);
    const v = labels[e.key];
    if (e.operator === 'In') return has && e.values.includes(v!);
    if (e.operator === 'NotIn') return !has || !e.values.includes(v!);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    const [a, b] = [int(v), int(e.values[0])!];
    return a !== undefined && (e.operator === 'Gt' ? a > b : a < b);
  };
  return terms.some((t) => t.matchExpressions.length > 0 && t.matchExpressions.every(exprOk));
}

describe('placement cache', () => {
  const names = (spec: object, r = ranges, complete = false) =>
    placementOf(podWith(spec), r, complete).nodes.map((n) => n.name);

  it('answers a repeated selector with the same placement and profile groups', () => {
    const a = placementOf(podWith({ nodeSelector: { pool: 'a' } }), ranges, false);
    const b = placementOf(podWith({ nodeSelector: { pool: 'a' } }), ranges, false);
    expect(b).toBe(a);
    expect(profilesOf(b, ranges)).toBe(profilesOf(a, ranges));
  });

  it.each([
    ['a different selector value', { nodeSelector: { pool: 'b' } }, ['b1']],
    ['the same value under another key', { nodeSelector: { zone: 'a' } }, []],
    ['an affinity term', term([{ key: 'pool', operator: 'In', values: ['b'] }]), ['b1']],
    [
      'the same term with another operator',
      term([{ key: 'pool', operator: 'NotIn', values: ['b'] }]),
      ['a1', 'a2'],
    ],
  ])('keeps %s apart from a cached one', (_n, spec, expected) => {
    names({ nodeSelector: { pool: 'a' } });
    names(term([{ key: 'pool', operator: 'In', values: ['b'] }]));
    expect(names(spec)).toEqual(expected);
  });

  it('keys on the completeness of the node list', () => {
    const spec = { nodeSelector: { pool: 'b' } };
    expect(placementOf(podWith(spec), ranges, false).includesDefault).toBe(true);
    expect(placementOf(podWith(spec), ranges, true).includesDefault).toBe(false);
    expect(placementOf(podWith(spec), ranges, false).includesDefault).toBe(true);
  });

  it('answers from the new snapshot after a reload', () => {
    expect(names({ nodeSelector: { pool: 'b' } })).toEqual(['b1']);
    const reloaded = parseNodeRanges({ 'node.b9': '{"labels": {"pool": "b"}}' }).ranges;
    expect(names({ nodeSelector: { pool: 'b' } }, reloaded)).toEqual(['b9']);
    expect(names({}, reloaded)).toEqual(['b9']);
  });

  it('stays correct past its size bound', () => {
    const many = Array.from({ length: PLACEMENT_CACHE_SIZE + 10 }, (_, i) => ({
      nodeSelector: { gpus: String(i) },
    }));
    for (const spec of many) names(spec, exact);
    expect(many.map((spec) => names(spec, exact).length)).toEqual(
      many.map((_, i) => (i === 0 || i === 4 ? 1 : 0)),
    );
  });
});
