/**
 * The ranges ConfigMap decisions (docs/cluster-state.md, "The ranges ConfigMap") on the
 * lifecycle alone: events in, decisions and served data out, no server and no informer.
 * test/kube/cluster-state-source.test.ts holds the same decisions through the informers.
 */
import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_DEFAULTS,
  type ConfigMapDecision,
  RangesConfigMapLifecycle,
} from '../../src/kube/ranges-configmap-lifecycle.js';
import { applyConfigMap } from '../../src/kube/ranges-model.js';

const NAME = 'configmap portguard-system/portguard-node-ranges';

const GOOD = {
  nodePortRange: '30000-32767',
  default: '{"ipLocalPortRange": "32768 60999"}',
  'node.worker-1': '{"ipLocalPortRange": "1024 65535"}',
};
const GOOD_2 = { ...GOOD, nodePortRange: '30000-32000' };
/** A bad node entry and a good header: applied with errors when first, rejected after good data. */
const BAD = { ...GOOD_2, 'node.worker-2': '{' };

type Step =
  | { list: Record<string, string> | undefined; rv?: string }
  | { upsert: Record<string, string>; rv: string }
  | { delete: true };

/** The instant of the n-th finished parse, so `describe()` texts can be spelled out. */
const at = (n: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, n));

/**
 * Feeds the steps in order; a `parse` decision is finished at once (synchronously, as the
 * sliced parse would end), so each step yields one or two decisions.
 */
function run(steps: Step[]) {
  const lc = new RangesConfigMapLifecycle(NAME);
  const decisions: ConfigMapDecision['kind'][] = [];
  let parses = 0;
  const act = (d: ConfigMapDecision): void => {
    decisions.push(d.kind);
    if (d.kind !== 'parse') return;
    act(lc.parsed(d.generation, applyConfigMap(d.data, d.previous), at(++parses)));
  };
  for (const step of steps) {
    if ('list' in step) act(lc.listed(step.list && { resourceVersion: step.rv ?? '1', data: step.list }));
    else if ('upsert' in step) act(lc.upserted({ resourceVersion: step.rv, data: step.upsert }));
    else act(lc.deleted());
  }
  return { lc, decisions };
}

/** The served nodePortRange, as written in the data it came from. */
const servedRange = (lc: RangesConfigMapLifecycle) => lc.config.headerRaw[0];
const errorKeys = (lc: RangesConfigMapLifecycle) => lc.errors()?.map((e) => e.key);

describe('RangesConfigMapLifecycle: the documented decisions', () => {
  const cases: {
    name: string;
    steps: Step[];
    decisions: ConfigMapDecision['kind'][];
    served: unknown;
    source: string;
    status: string;
    errors?: string[];
  }[] = [
    {
      name: 'absent after the initial sync: built-in defaults',
      steps: [{ list: undefined }],
      decisions: ['absent'],
      served: undefined,
      source: BUILT_IN_DEFAULTS,
      status: 'not found; serving built-in defaults',
    },
    {
      name: 'absent on a relist too: still built-in defaults',
      steps: [{ list: undefined }, { list: undefined }],
      decisions: ['absent', 'absent'],
      served: undefined,
      source: BUILT_IN_DEFAULTS,
      status: 'not found; serving built-in defaults',
    },
    {
      name: 'valid: applied',
      steps: [{ list: GOOD }],
      decisions: ['parse', 'applied'],
      served: '30000-32767',
      source: NAME,
      status: `ok; applied ${at(1).toISOString()}`,
    },
    {
      name: 'an update with any error after good data: rejected, the last good data stays',
      steps: [{ list: GOOD }, { upsert: BAD, rv: '2' }],
      decisions: ['parse', 'applied', 'parse', 'rejected'],
      served: '30000-32767',
      source: NAME,
      status: `last update rejected at ${at(2).toISOString()} (errors in: node.worker-2); serving last good data from ${at(1).toISOString()}`,
      errors: ['node.worker-2'],
    },
    {
      name: 'the next valid update after a rejected one is applied as usual',
      steps: [{ list: GOOD }, { upsert: BAD, rv: '2' }, { upsert: GOOD_2, rv: '3' }],
      decisions: ['parse', 'applied', 'parse', 'rejected', 'parse', 'applied'],
      served: '30000-32000',
      source: NAME,
      status: `ok; applied ${at(3).toISOString()}`,
    },
    {
      name: 'the first version seen has errors: what parsed is applied',
      steps: [{ list: BAD }],
      decisions: ['parse', 'applied-with-errors'],
      served: '30000-32000',
      source: NAME,
      status: `applied with errors in: node.worker-2 (those entries use the default profile); since ${at(1).toISOString()}`,
      errors: ['node.worker-2'],
    },
    {
      name: 'an update with errors after a first version with errors: rejected too',
      steps: [{ list: BAD }, { upsert: { ...BAD, nodePortRange: '1-2-3' }, rv: '2' }],
      decisions: ['parse', 'applied-with-errors', 'parse', 'rejected'],
      served: '30000-32000',
      source: NAME,
      status: `last update rejected at ${at(2).toISOString()} (errors in: nodePortRange, node.worker-2); serving last good data from ${at(1).toISOString()}`,
      errors: ['nodePortRange', 'node.worker-2'],
    },
    {
      name: 'deleted: the last known data stays',
      steps: [{ list: GOOD }, { delete: true }],
      decisions: ['parse', 'applied', 'deleted'],
      served: '30000-32767',
      source: NAME,
      status: `deleted; serving last known data from ${at(1).toISOString()}`,
    },
    {
      name: 'gone from a relist after good data: deleted, the last known data stays',
      steps: [{ list: GOOD }, { list: undefined }, { delete: true }],
      decisions: ['parse', 'applied', 'deleted', 'deleted'],
      served: '30000-32767',
      source: NAME,
      status: `deleted; serving last known data from ${at(1).toISOString()}`,
    },
    {
      name: 'recreated after a delete: applied like any update',
      steps: [{ list: GOOD }, { delete: true }, { upsert: GOOD_2, rv: '7' }],
      decisions: ['parse', 'applied', 'deleted', 'parse', 'applied'],
      served: '30000-32000',
      source: NAME,
      status: `ok; applied ${at(2).toISOString()}`,
    },
    {
      name: 'recreated with errors after a delete: rejected, the last known data stays',
      steps: [{ list: GOOD }, { delete: true }, { upsert: BAD, rv: '7' }],
      decisions: ['parse', 'applied', 'deleted', 'parse', 'rejected'],
      served: '30000-32767',
      source: NAME,
      status: `last update rejected at ${at(2).toISOString()} (errors in: node.worker-2); serving last good data from ${at(1).toISOString()}`,
      errors: ['node.worker-2'],
    },
  ];

  it.each(cases)('$name', (c) => {
    const { lc, decisions } = run(c.steps);
    expect(decisions).toEqual(c.decisions);
    expect(servedRange(lc)).toBe(c.served);
    expect(lc.rangesSource).toBe(c.source);
    expect(lc.describe()).toBe(c.status);
    expect(errorKeys(lc)).toEqual(c.errors);
    expect(lc.settled).toBe(true);
    expect(lc.updateInProgress).toBe(false);
  });
});

describe('RangesConfigMapLifecycle: events around a parse in flight', () => {
  it('is not settled before the initial list, nor while the first version is being parsed', () => {
    const lc = new RangesConfigMapLifecycle(NAME);
    expect(lc.settled).toBe(false);
    expect(lc.describe()).toBe('waiting for the initial list');
    const d = lc.listed({ resourceVersion: '1', data: GOOD });
    expect(d.kind).toBe('parse');
    expect(lc.settled).toBe(false);
    expect(lc.updateInProgress).toBe(true);
    if (d.kind !== 'parse') return;
    expect(lc.parsed(d.generation, applyConfigMap(d.data), at(1)).kind).toBe('applied');
    expect(lc.settled).toBe(true);
  });

  it('ignores a version it is parsing or has applied, and parses any other', () => {
    const lc = new RangesConfigMapLifecycle(NAME);
    const d = lc.listed({ resourceVersion: '1', data: GOOD });
    expect(lc.upserted({ resourceVersion: '1', data: GOOD }).kind).toBe('unchanged');
    if (d.kind !== 'parse') throw new Error(d.kind);
    lc.parsed(d.generation, applyConfigMap(d.data), at(1));
    expect(lc.upserted({ resourceVersion: '1', data: GOOD }).kind).toBe('unchanged');
    expect(lc.upserted({ resourceVersion: '2', data: GOOD_2 }).kind).toBe('parse');
  });

  it('a newer version supersedes a parse in flight: the older result is stale, the newest wins', () => {
    const lc = new RangesConfigMapLifecycle(NAME);
    const first = lc.listed({ resourceVersion: '1', data: GOOD });
    const second = lc.upserted({ resourceVersion: '2', data: GOOD_2 });
    if (first.kind !== 'parse' || second.kind !== 'parse') throw new Error('expected two parses');
    expect(lc.isCurrent(first.generation)).toBe(false);
    expect(lc.parsed(first.generation, applyConfigMap(first.data), at(1)).kind).toBe('stale');
    expect(lc.updateInProgress).toBe(true);
    expect(lc.parsed(second.generation, applyConfigMap(second.data), at(2))).toMatchObject({
      kind: 'applied',
      resourceVersion: '2',
    });
    expect(servedRange(lc)).toBe('30000-32000');
  });

  it('a delete during a parse wins: the parsed version is never applied', () => {
    const { lc } = run([{ list: GOOD }]);
    const d = lc.upserted({ resourceVersion: '2', data: GOOD_2 });
    if (d.kind !== 'parse') throw new Error(d.kind);
    expect(lc.deleted()).toMatchObject({ kind: 'deleted', first: true, since: at(1) });
    expect(lc.updateInProgress).toBe(false);
    expect(lc.parsed(d.generation, applyConfigMap(d.data, d.previous), at(2)).kind).toBe('stale');
    expect(servedRange(lc)).toBe('30000-32767');
  });

  it('a parse that stopped itself (superseded) is stale', () => {
    const lc = new RangesConfigMapLifecycle(NAME);
    const d = lc.listed({ resourceVersion: '1', data: GOOD });
    if (d.kind !== 'parse') throw new Error(d.kind);
    expect(lc.parsed(d.generation, undefined, at(1)).kind).toBe('stale');
  });

  it('a parse that throws changes nothing served and ends the update in progress', () => {
    const { lc } = run([{ list: GOOD }]);
    const d = lc.upserted({ resourceVersion: '2', data: GOOD_2 });
    if (d.kind !== 'parse') throw new Error(d.kind);
    expect(lc.parseFailed(d.generation, new Error('boom'))).toEqual({
      kind: 'parse-failed',
      error: 'Error: boom',
    });
    expect(lc.updateInProgress).toBe(false);
    expect(lc.describe()).toBe(`ok; applied ${at(1).toISOString()}`);
    expect(lc.parseFailed(d.generation - 1, new Error('old')).kind).toBe('stale');
  });

  it('hands the last parse, good or bad, to the next one as its cache', () => {
    const { lc } = run([{ list: GOOD }, { upsert: BAD, rv: '2' }]);
    const d = lc.upserted({ resourceVersion: '3', data: GOOD_2 });
    if (d.kind !== 'parse') throw new Error(d.kind);
    expect(d.previous?.errors.map((e) => e.key)).toEqual(['node.worker-2']);
  });

  it('cancel (stop) drops the parse in flight', () => {
    const lc = new RangesConfigMapLifecycle(NAME);
    const d = lc.listed({ resourceVersion: '1', data: GOOD });
    if (d.kind !== 'parse') throw new Error(d.kind);
    lc.cancel();
    expect(lc.parsed(d.generation, applyConfigMap(d.data), at(1)).kind).toBe('stale');
    expect(lc.settled).toBe(false);
  });
});
