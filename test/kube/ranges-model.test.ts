import { describe, expect, it } from 'vitest';
import { EntryCache } from '../../src/core/node-ranges.js';
import { applyConfigMap, applyConfigMapInSlices, composeRanges } from '../../src/kube/ranges-model.js';

const base = {
  nodePortRange: '30000-32767',
  default: '{"ipLocalPortRange": "32768 60999"}',
  'node.a':
    '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-32767", "labels": {"pool": "x"}}',
  'node.b': '{"ipLocalReservedPorts": "31000"}',
};

describe('applyConfigMap', () => {
  it('parses every key of a first version', () => {
    const parsed = applyConfigMap(base);
    expect(parsed.errors).toEqual([]);
    expect(parsed.entries.get('node.a')?.node?.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
    // node.b inherits the default's range.
    expect(parsed.entries.get('node.b')?.node?.profile.ephemeral).toEqual({ lo: 32768, hi: 60999 });
  });

  it('reuses the parsed entry of every key whose value did not change', () => {
    const first = applyConfigMap(base);
    const second = applyConfigMap({ ...base, 'node.b': '{"ipLocalPortRange": "40000 50000"}' }, first);
    expect(second.entries.get('node.a')).toBe(first.entries.get('node.a'));
    expect(second.entries.get('node.b')).not.toBe(first.entries.get('node.b'));
    expect(second.entries.get('node.b')?.node?.profile.ephemeral).toEqual({ lo: 40000, hi: 50000 });
  });

  it('re-parses every entry when default changes, since entries inherit from it', () => {
    const first = applyConfigMap(base);
    const second = applyConfigMap({ ...base, default: '{"ipLocalPortRange": "20000 29999"}' }, first);
    expect(second.entries.get('node.a')).not.toBe(first.entries.get('node.a'));
    expect(second.entries.get('node.b')?.node?.profile.ephemeral).toEqual({ lo: 20000, hi: 29999 });
  });

  it('drops keys that were removed', () => {
    const first = applyConfigMap(base);
    const { 'node.b': _gone, ...rest } = base;
    expect([...applyConfigMap(rest, first).entries.keys()]).toEqual(['node.a']);
  });

  it.each([
    ['bad JSON', { 'node.c': '{' }, ['node.c']],
    ['low > high', { 'node.c': '{"ipLocalPortRange": "60000 1000"}' }, ['node.c']],
    ['bad nodePortRange', { nodePortRange: '1-2-3' }, ['nodePortRange']],
    ['unknown key', { stray: 'x' }, ['stray']],
  ])('reports %s by key, and keeps reporting a cached bad entry', (_name, patch, keys) => {
    const first = applyConfigMap({ ...base, ...patch });
    expect(first.errors.map((e) => e.key)).toEqual(keys);
    // An unrelated change re-uses the cached bad entry, errors included.
    const second = applyConfigMap({ ...base, ...patch, 'node.z': '{}' }, first);
    expect(second.errors.map((e) => e.key)).toEqual(keys);
  });
});

describe('composeRanges', () => {
  it('uses the ConfigMap entries as the node set when the live node list is unknown', () => {
    const ranges = composeRanges(applyConfigMap(base), undefined, 'test');
    expect([...ranges.nodes.keys()].sort()).toEqual(['a', 'b']);
    expect(ranges.nodes.get('a')?.labels).toEqual({ pool: 'x' });
    // A reporter's or a hand-written entry's labels may be a subset of the Node's.
    expect([...ranges.nodes.values()].map((n) => n.labelsComplete)).toEqual([false, false]);
  });

  it('uses exactly the live nodes: default profile for nodes without a key, stale keys ignored', () => {
    const live = new Map([
      ['a', { pool: 'live' }],
      ['c', { pool: 'new' }],
    ]);
    const parsed = applyConfigMap(base);
    const ranges = composeRanges(parsed, live, 'test');
    expect([...ranges.nodes.keys()].sort()).toEqual(['a', 'c']);
    expect(ranges.nodes.get('a')?.labels).toEqual({ pool: 'live' });
    expect(ranges.nodes.get('c')?.profile).toBe(parsed.defaultProfile);
    expect(ranges.profiles.get(parsed.defaultProfile.key)?.nodes).toEqual(['c']);
    expect([...ranges.nodes.values()].map((n) => n.labelsComplete)).toEqual([true, true]);
  });
});

function bigData(nodes: number, version: number): Record<string, string> {
  const data: Record<string, string> = { nodePortRange: '30000-32767', default: base.default };
  for (let i = 0; i < nodes; i++) {
    data[`node.n${i}`] = JSON.stringify({
      ipLocalPortRange: i % 3 === 0 ? '1024 65535' : '32768 60999',
      ipLocalReservedPorts: i % 2 === 0 ? '30000-32767' : '',
      labels: { v: String(version) },
    });
  }
  return data;
}

const summary = (p: ReturnType<typeof applyConfigMap>) => ({
  nodePortRange: p.nodePortRange,
  defaultKey: p.defaultProfile.key,
  errors: p.errors,
  entries: [...p.entries].map(([k, e]) => [k, e.raw, e.node?.profile.key, e.node?.labels, e.errors]),
});

describe('applyConfigMapInSlices', () => {
  it.each([
    ['the contract example', base, undefined],
    [
      'errors in header and entries',
      { ...base, nodePortRange: '1-2-3', 'node.c': '{', stray: 'x' },
      undefined,
    ],
    ['a 2,000-node update against a previous version', bigData(2000, 2), bigData(2000, 1)],
  ])('gives the same result as the synchronous parse: %s', async (_n, data, prev) => {
    const previous = prev ? applyConfigMap(prev) : undefined;
    const sliced = await applyConfigMapInSlices(data, previous, {
      cache: new EntryCache(),
      sliceMs: 0,
      keysPerStep: 7,
    });
    expect(sliced).toBeDefined();
    expect(summary(sliced!)).toEqual(summary(applyConfigMap(data, previous)));
  });

  it('yields to the event loop between slices, so other work runs while it parses', async () => {
    let yields = 0;
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const parsed = await applyConfigMapInSlices(bigData(1000, 1), undefined, {
      sliceMs: 0,
      keysPerStep: 50,
      onYield: () => yields++,
    });
    ticking = false;
    expect(parsed?.entries.size).toBe(1000);
    // 1,000 keys at 50 per step: a yield after each of the 20 steps, and one more before
    // returning, so the caller's swap does not run in the same turn as the last slice.
    expect(yields).toBe(21);
    expect(ticks).toBeGreaterThanOrEqual(yields - 1);
  });

  it('stops at the next yield once superseded, and returns nothing', async () => {
    let yields = 0;
    let newer = false;
    const parsed = await applyConfigMapInSlices(bigData(1000, 1), undefined, {
      sliceMs: 0,
      keysPerStep: 50,
      superseded: () => newer,
      onYield: () => {
        if (++yields === 3) newer = true;
      },
    });
    expect(parsed).toBeUndefined();
    expect(yields).toBe(3);
  });

  it('does not yield at all when a small update fits in one slice', async () => {
    let yields = 0;
    const parsed = await applyConfigMapInSlices(base, undefined, { sliceMs: 1_000, onYield: () => yields++ });
    expect(parsed?.errors).toEqual([]);
    expect(yields).toBe(0);
  });
});
