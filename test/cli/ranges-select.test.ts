/** Which object of a List or a multi-document ranges input holds the node data. */
import { describe, expect, it } from 'vitest';
import { RangesFileError } from '../../src/cli/ranges-file.js';
import { describeObject, pickRangesData, type RangesSource } from '../../src/cli/ranges-select.js';

const cm = (name: string, data?: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'portguard-system', ...extra },
  ...(data ? { data } : {}),
});
const RANGES = cm('portguard-node-ranges', { nodePortRange: '30000-32767', 'node.a': '{}' });
const ROOT_CA = cm('kube-root-ca.crt', { 'ca.crt': 'x' });
const REPORT = cm(
  'portguard-node-ranges.worker-1',
  { 'node.worker-1': '{}' },
  { labels: { 'portguard.io/node-report': 'v1' } },
);
const SERVICE = { kind: 'Service', metadata: { name: 'api', namespace: 'shop' } };

const items = (...values: unknown[]): RangesSource[] =>
  values.map((value, i) => ({ value, line: 4 + 5 * i, where: `item ${i + 1} of the List` }));

describe('pickRangesData', () => {
  it.each([
    ['the one ranges ConfigMap among others', items(ROOT_CA, RANGES), 2, RANGES.data, []],
    [
      'the ConfigMap, leaving out node report objects',
      items(REPORT, RANGES),
      2,
      RANGES.data,
      ['portguard-system/portguard-node-ranges.worker-1'],
    ],
    ['a List of one', items(RANGES), 1, RANGES.data, []],
    [
      'a ConfigMap with only a default key',
      items(SERVICE, cm('x', { default: '{}' })),
      2,
      { default: '{}' },
      [],
    ],
    ['a kind-less data map', items(SERVICE, { 'node.a': '{}' }), 2, { 'node.a': '{}' }, []],
    ['a kind-less data: fragment', items(SERVICE, { data: { 'node.a': '{}' } }), 2, { 'node.a': '{}' }, []],
  ])('picks %s', (_n, sources, item, data, skipped) => {
    const picked = pickRangesData(sources, '<stdin>', true);
    expect(picked.label).toMatch(new RegExp(`^<stdin>:\\d+ \\(item ${item} of the List, `));
    expect(picked.data).toEqual(data);
    expect(picked.skippedReports).toEqual(skipped);
  });

  it('names the object in the label, so errors and warnings say which one was used', () => {
    expect(pickRangesData(items(ROOT_CA, RANGES), 'cms.yaml', true).label).toBe(
      'cms.yaml:9 (item 2 of the List, ConfigMap portguard-system/portguard-node-ranges)',
    );
  });

  it('reads a single object as before: its errors are about that object', () => {
    const one = [{ value: SERVICE, line: 1, where: 'document 1' }];
    expect(() => pickRangesData(one, 'r.yaml', false)).toThrowError(
      'r.yaml: expected a ConfigMap, found kind Service',
    );
    const data = [{ value: { nodez: 'x' }, line: 1, where: 'document 1' }];
    expect(pickRangesData(data, 'r.yaml', false)).toEqual({
      data: { nodez: 'x' },
      label: 'r.yaml',
      skippedReports: [],
    });
  });

  it.each([
    [
      'no candidate, saying why for each object',
      items(ROOT_CA, SERVICE, REPORT, cm('empty'), 'text'),
      [
        '<stdin>: no node-ranges ConfigMap among 5 objects (it has a nodePortRange, default or node.<name> data key):',
        '  item 1 of the List (line 4): ConfigMap portguard-system/kube-root-ca.crt: no nodePortRange, default or node.<name> key',
        '  item 2 of the List (line 9): Service shop/api: not a ConfigMap',
        '  item 3 of the List (line 14): ConfigMap portguard-system/portguard-node-ranges.worker-1: a node report object',
        '  item 4 of the List (line 19): ConfigMap portguard-system/empty: no data',
        '  item 5 of the List (line 24): the value "text": not a map',
      ].join('\n'),
    ],
    [
      'several candidates, naming them',
      items(RANGES, ROOT_CA, cm('portguard-node-ranges-export', { 'node.b': '{}' })),
      [
        '<stdin>: 2 objects could be the node-ranges ConfigMap; give only one (for example kubectl get configmap NAME -o yaml):',
        '  item 1 of the List (line 4): ConfigMap portguard-system/portguard-node-ranges',
        '  item 3 of the List (line 14): ConfigMap portguard-system/portguard-node-ranges-export',
      ].join('\n'),
    ],
    ['an empty List', [], '<stdin>: the List has no items; expected the node-ranges ConfigMap'],
  ])('refuses %s', (_n, sources, message) => {
    expect(() => pickRangesData(sources, '<stdin>', true)).toThrowError(RangesFileError);
    expect(() => pickRangesData(sources, '<stdin>', true)).toThrowError(message);
  });

  it('lists at most 20 objects', () => {
    const many = items(...Array.from({ length: 25 }, (_, i) => cm(`cm-${i}`, { k: 'v' })));
    try {
      pickRangesData(many, 'x', true);
      expect.unreachable();
    } catch (err) {
      const lines = (err as Error).message.split('\n');
      expect(lines).toHaveLength(22);
      expect(lines.at(-1)).toBe('  ... and 5 more');
    }
  });
});

describe('describeObject', () => {
  it.each([
    [RANGES, 'ConfigMap portguard-system/portguard-node-ranges'],
    [{ kind: 'ConfigMap', metadata: { name: 'x' } }, 'ConfigMap x'],
    [{ kind: 'Secret' }, 'Secret'],
    [{ a: 1 }, 'a map without kind'],
    [[1], 'a YAML list'],
    [5, 'the value 5'],
  ])('%j is %s', (value, want) => {
    expect(describeObject(value)).toBe(want);
  });
});
