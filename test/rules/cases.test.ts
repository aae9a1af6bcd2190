/**
 * Runs every declarative case in test/cases: object rules' cases through the policy core's
 * `review()`, node rules' cases through NODE_RULES on the case's node data, as audit runs them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { emptyState } from '../../src/core/state.js';
import { NODE_RULES, RULES } from '../../src/rules/index.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { comparable, flagMismatches, loadAllCases, loadAllNodeCases, type RuleCase } from './case-file.js';

const cases = loadAllCases();
const nodeCases = loadAllNodeCases();
let reviewer: Reviewer;

beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
});

/** Builds the state the way `check` does: every object in the inventory first. */
function runCase(c: RuleCase, r: Reviewer) {
  const { ranges, errors } = parseNodeRanges(c.ranges, c.id);
  expect(errors).toEqual([]);
  const state = emptyState(ranges);
  for (const o of c.inventory) state.inventory.upsert(o);
  state.inventory.upsert(c.object);
  return r.review(
    {
      operation: c.operation,
      object: c.object,
      ...(c.oldObject ? { oldObject: c.oldObject } : {}),
      dryRun: c.dryRun,
    },
    state,
    DEFAULT_POLICY,
  );
}

describe('rule cases through review()', () => {
  it('finds cases for every rule', () => {
    const rules = new Set(cases.map((c) => c.rule));
    expect([...rules].sort()).toEqual(RULES.map((r) => r.meta.id).sort());
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const result = runCase(c, reviewer);
    const { actual, expected } = comparable(c, result.findings);
    expect(actual, c.name).toEqual(expected);
    expect(flagMismatches(c, result.findings), c.name).toEqual([]);
    expect(result.allowed, c.name).toBe(c.expect.allowed);
    expect(result.findings.filter((f) => f.rule === 'internal-error')).toEqual([]);
  });
});

describe('node rule cases through NODE_RULES', () => {
  it('finds cases for every node rule', () => {
    const rules = new Set(nodeCases.map((c) => c.rule));
    expect([...rules].sort()).toEqual(NODE_RULES.map((r) => r.meta.id).sort());
  });

  it.each(nodeCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const { ranges, errors } = parseNodeRanges(c.ranges, c.id);
    expect(errors).toEqual([]);
    const findings = NODE_RULES.flatMap((r) => r.evaluate({ ranges, nodesComplete: c.nodesComplete }));
    const { actual, expected } = comparable(c, findings);
    expect(actual, c.name).toEqual(expected);
    for (const f of findings) expect(f, c.name).toMatchObject({ kind: 'Node', namespace: '' });
  });
});
