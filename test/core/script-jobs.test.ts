/**
 * The review's script budget: counted, so the same object gets the same answer on any
 * machine, cache or none; containers past it are unknown, and pods that cannot reach
 * their node get a small per-script limit.
 */
import { describe, expect, it } from 'vitest';
import { viewOf } from '../../src/core/object-view.js';
import { buildContext } from '../../src/core/rule-context.js';
import { budgetSpentReason, type ScriptJob, scriptJobs, spendBudget } from '../../src/core/script-jobs.js';
import { emptyState } from '../../src/core/state.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';

const job = (key: string) => ({ key }) as ScriptJob;

describe('spendBudget', () => {
  it.each([
    [
      'all fit',
      [
        ['a', 10],
        ['b', 10],
      ],
      100,
      ['a', 'b'],
    ],
    [
      'a job starts while budget is left, the rest are unknown',
      [
        ['a', 60],
        ['b', 60],
        ['c', 1],
      ],
      100,
      ['a', 'b', null],
    ],
    [
      'a repeated script is charged once',
      [
        ['a', 60],
        ['a', 60],
        ['b', 1],
      ],
      100,
      ['a', 'a', 'b'],
    ],
    ['a zero budget analyses nothing', [['a', 1]], 0, [null]],
  ] as const)('%s', (_name, costs, total, expected) => {
    const cost = new Map<string, number>(costs.map(([k, c]) => [k, c]));
    const out = spendBudget(
      costs.map(([k]) => job(k)),
      total,
      (j) => ({ analysis: { writes: [], unknown: `ran ${j.key}` }, steps: cost.get(j.key)!, final: true }),
    );
    expect(out.map((a) => a.unknown)).toEqual(
      expected.map((k) => (k === null ? budgetSpentReason(total) : `ran ${k}`)),
    );
  });
});

const loop = (i: number) => `f() { g; g; g; g; }\ng() { f; f; f; f; }\nf\n# ${i}\n`;
const pod = (hostNetwork: boolean, count: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  spec: {
    hostNetwork,
    containers: Array.from({ length: count }, (_, i) => ({ name: `c${i}`, command: ['sh', '-c', loop(i)] })),
  },
});

describe('a review spends one budget on an object', () => {
  it.each([
    // [pod reaches its node, per-script limit, containers analysed before the budget of 5,000 is spent]
    [true, 3000, 2],
    [false, 1000, 5],
  ])('hostNetwork %s: scripts stop at %i steps, %i are analysed', async (reach, perScript, analysed) => {
    const budget = { totalSteps: 5000, unreachableScriptSteps: 1000 };
    const view = viewOf(pod(reach, 8))!;
    expect(scriptJobs(view, undefined, budget).map((j) => j.maxSteps)).toEqual(
      Array(8).fill(reach ? undefined : 1000),
    );
    // Fresh contexts; the third answers from the cache the second filled: the same answer.
    const fresh = await createScriptAnalyzer({ maxSteps: 3000, cacheSize: 0 });
    const cached = await createScriptAnalyzer({ maxSteps: 3000 });
    const runs = [fresh, cached, cached].map((analyzer) =>
      buildContext(view, emptyState(), { analyzer, budget }, () => false)
        .scripts()
        .map((s) => s.analysis.unknown),
    );
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    expect(runs[0]).toEqual([
      ...Array(analysed).fill(`analysis stopped after ${perScript} steps`),
      ...Array(8 - analysed).fill(budgetSpentReason(5000)),
    ]);
  });
});
