import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { type ObjectView, viewOf } from '../../src/core/object-view.js';
import { buildContext, describeNodes, listNodes, MAX_NODES_LISTED } from '../../src/core/rule-context.js';
import { REVIEW_BUDGET_DEFAULTS } from '../../src/core/script-jobs.js';
import { emptyState } from '../../src/core/state.js';
import type { ScriptAnalyzer } from '../../src/shell/index.js';

const name = fc.oneof(fc.constant('*'), fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/));
const groups = fc.array(
  fc.array(name, { maxLength: 40 }).map((nodes) => ({ nodes })),
  { maxLength: 8 },
);

function context() {
  const view = { kind: 'Pod', namespace: 'ops', name: 'agent' } as ObjectView;
  return buildContext(
    view,
    emptyState(),
    { analyzer: {} as ScriptAnalyzer, budget: REVIEW_BUDGET_DEFAULTS },
    () => false,
  );
}

describe('listNodes', () => {
  it('keeps the first max names in group order and counts every node', () => {
    fc.assert(
      fc.property(groups, fc.integer({ min: 0, max: 60 }), (gs, max) => {
        const all = gs.flatMap((g) => g.nodes);
        const list = listNodes(gs, max);
        expect(list.names).toEqual(all.slice(0, max));
        expect(list.total).toBe(all.length);
      }),
    );
  });

  it.each([
    ['no groups', [], { names: [], total: 0 }],
    ['empty groups', [{ nodes: [] }, { nodes: [] }], { names: [], total: 0 }],
    ['under the cap', [{ nodes: ['a'] }, { nodes: ['b', '*'] }], { names: ['a', 'b', '*'], total: 3 }],
  ])('%s', (_name, gs, expected) => {
    expect(listNodes(gs)).toEqual(expected);
  });

  it('defaults to MAX_NODES_LISTED', () => {
    const nodes = Array.from({ length: 5000 }, (_, i) => `n-${i}`);
    const list = listNodes([{ nodes }, { nodes: ['*'] }]);
    expect(list.names).toEqual(nodes.slice(0, MAX_NODES_LISTED));
    expect(list.total).toBe(5001);
  });
});

describe('describeNodes with a total', () => {
  it('reads the same from a NodeList as from every name', () => {
    fc.assert(
      fc.property(groups, fc.integer({ min: 0, max: 10 }), (gs, max) => {
        const all = gs.flatMap((g) => g.nodes);
        const list = listNodes(gs);
        expect(describeNodes(list.names, max, list.total)).toBe(describeNodes(all, max));
      }),
    );
  });

  it.each([
    [['a', 'b'], 3, undefined, 'a, b'],
    [['a', '*'], 3, undefined, 'a, nodes without their own entry (default)'],
    [['a', 'b', 'c', 'd'], 3, undefined, 'a, b, c and 1 more'],
    [['a', 'b', 'c', 'd'], 3, 5000, 'a, b, c and 4997 more'],
    [['a', 'b', 'c'], 3, 3, 'a, b, c'],
  ])('%j max %d total %s', (nodes, max, total, expected) => {
    expect(describeNodes(nodes, max, total)).toBe(expected);
  });
});

describe('finding', () => {
  it('gives the same nodes and nodeCount for a NodeList as for every name', () => {
    const ctx = context();
    fc.assert(
      fc.property(groups, (gs) => {
        const all = gs.flatMap((g) => g.nodes);
        const fromList = ctx.finding({
          rule: 'hostnetwork-port-in-ephemeral-range',
          severity: 'warn',
          path: 'p',
          nodes: listNodes(gs),
          message: 'm',
        });
        const fromAll = ctx.finding({
          rule: 'hostnetwork-port-in-ephemeral-range',
          severity: 'warn',
          path: 'p',
          nodes: all,
          message: 'm',
        });
        expect(fromList).toEqual(fromAll);
        expect(fromList.nodes.length).toBeLessThanOrEqual(MAX_NODES_LISTED);
        expect(fromList.nodeCount).toBe(all.length);
      }),
    );
  });
});

describe('describeNodes of a pod no current node can take', () => {
  const { ranges } = parseNodeRanges({ 'node.w1': '{"labels": {"pool": "general"}}' });

  function podContext(spec: object, nodesComplete: boolean) {
    const view = viewOf({
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ops' },
      spec: { containers: [], ...spec },
    })!;
    const state = { ...emptyState(ranges), nodesComplete };
    return buildContext(
      view,
      state,
      { analyzer: {} as ScriptAnalyzer, budget: REVIEW_BUDGET_DEFAULTS },
      () => false,
    );
  }

  it.each([
    [
      'a selector matching no node',
      { nodeSelector: { pool: 'gpu' } },
      true,
      'nodes on the default profile (no current node matches its node selector/affinity)',
    ],
    [
      'a nodeName of no node',
      { nodeName: 'gone' },
      true,
      'nodes on the default profile (its nodeName names no current node)',
    ],
    [
      'a selector, incomplete node list',
      { nodeSelector: { pool: 'gpu' } },
      false,
      'nodes without their own entry (default)',
    ],
    ['a selector matching a node', { nodeSelector: { pool: 'general' } }, true, 'w1'],
  ])('%s', (_name, spec, complete, expected) => {
    const ctx = podContext(spec, complete);
    expect(ctx.describeNodes(listNodes(ctx.profiles()))).toBe(expected);
  });
});
