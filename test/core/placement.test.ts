import { describe, expect, it } from 'vitest';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { viewOf } from '../../src/core/object-view.js';
import { DEFAULT_NODES, PLACEMENT_CACHE_SIZE, placementOf, profilesOf } from '../../src/core/placement.js';

const { ranges } = parseNodeRanges({
  'node.a1': '{"ipLocalPortRange": "1024 65535", "labels": {"pool": "a", "zone": "z1", "gpus": "4"}}',
  'node.a2': '{"ipLocalPortRange": "1024 65535", "labels": {"pool": "a", "zone": "z2", "gpus": "0"}}',
  'node.b1': '{"labels": {"pool": "b", "zone": "z1"}}',
});

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

describe('placementOf', () => {
  it.each([
    ['no constraints', {}, ['a1', 'a2', 'b1'], true],
    ['nodeName known', { nodeName: 'a2' }, ['a2'], false],
    ['nodeName unknown', { nodeName: 'zz' }, [], true],
    ['nodeSelector', { nodeSelector: { pool: 'a' } }, ['a1', 'a2'], true],
    ['nodeSelector two labels', { nodeSelector: { pool: 'a', zone: 'z1' } }, ['a1'], true],
    ['affinity In', term([{ key: 'zone', operator: 'In', values: ['z1'] }]), ['a1', 'b1'], true],
    ['affinity NotIn', term([{ key: 'pool', operator: 'NotIn', values: ['a'] }]), ['b1'], true],
    ['affinity Exists', term([{ key: 'gpus', operator: 'Exists' }]), ['a1', 'a2'], true],
    ['affinity DoesNotExist', term([{ key: 'gpus', operator: 'DoesNotExist' }]), ['b1'], true],
    ['affinity Gt', term([{ key: 'gpus', operator: 'Gt', values: ['1'] }]), ['a1'], true],
    ['affinity Lt', term([{ key: 'gpus', operator: 'Lt', values: ['1'] }]), ['a2'], true],
    ['matchFields name', term([], [{ key: 'metadata.name', operator: 'In', values: ['b1'] }]), ['b1'], true],
    [
      'selector and affinity combine',
      { nodeSelector: { pool: 'a' }, ...term([{ key: 'zone', operator: 'In', values: ['z2'] }]) },
      ['a2'],
      true,
    ],
  ])('%s', (_name, spec, nodes, includesDefault) => {
    const p = placementOf(podWith(spec), ranges, false);
    expect(p.nodes.map((n) => n.name)).toEqual(nodes);
    expect(p.includesDefault).toBe(includesDefault);
  });

  it('drops unknown nodes once the node list is complete', () => {
    expect(placementOf(podWith({ nodeSelector: { pool: 'a' } }), ranges, true).includesDefault).toBe(false);
  });

  it('groups candidates by profile and adds the default pseudo-node', () => {
    const groups = profilesOf(placementOf(podWith({ nodeSelector: { zone: 'z1' } }), ranges, false), ranges);
    expect(groups.map((g) => g.nodes)).toEqual([['a1'], ['b1', DEFAULT_NODES]]);
  });
});

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
    for (const spec of many) names(spec);
    expect(many.map((spec) => names(spec).length)).toEqual(many.map((_, i) => (i === 0 || i === 4 ? 1 : 0)));
  });
});
