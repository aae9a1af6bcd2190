/**
 * Section 2: the in-process cost of one decision, per kind, against the full synthetic
 * state. This isolates the policy core (and script analysis) from HTTP and TLS, which is
 * where the "interval index" and "parse cache" claims of the design are tested.
 */
import { planMutation } from '../../src/core/mutate.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import type { Reviewer } from '../../src/core/review.js';
import type { ClusterState } from '../../src/core/state.js';
import type { ReviewInput } from '../../src/core/types.js';
import { MixBuilder, type MixKind } from '../admission-mix.js';
import { createRng } from '../prng.js';
import { round, summarize } from '../stats.js';
import type { SyntheticCluster } from '../synthetic.js';

export type DecisionCase =
  | 'service'
  | 'service-mutate'
  | 'pod-script-warm'
  | 'pod-script-cold'
  | 'deployment'
  | 'update';

export interface DecisionFigure {
  iterations: number;
  medianUs: number;
  p99Us: number;
  maxUs: number;
  /** Share of the timed reviews that were denied, to show both paths ran. */
  deniedShare: number;
}

export interface DecisionResult {
  status: 'ok';
  cases: Record<DecisionCase, DecisionFigure>;
}

export interface DecisionOptions {
  cluster: SyntheticCluster;
  state: ClusterState;
  reviewer: Reviewer;
  iterations: number;
  log: (msg: string) => void;
}

/** Times `fn` over `inputs` (cycled) after one warm pass; returns µs per call. */
function time(
  inputs: readonly ReviewInput[],
  iterations: number,
  warm: boolean,
  fn: (input: ReviewInput) => boolean,
): DecisionFigure {
  if (warm) for (const input of inputs) fn(input);
  const samples = new Array<number>(iterations);
  let denied = 0;
  for (let i = 0; i < iterations; i++) {
    const input = inputs[i % inputs.length]!;
    const t0 = process.hrtime.bigint();
    const allowed = fn(input);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
    if (!allowed) denied++;
  }
  const s = summarize(samples);
  return {
    iterations,
    medianUs: round(s.median),
    p99Us: round(s.p99),
    maxUs: round(s.max),
    deniedShare: round(denied / iterations, 3),
  };
}

export function runDecisionSection(opts: DecisionOptions): DecisionResult {
  const { cluster, state, reviewer, iterations } = opts;
  const builder = new MixBuilder(cluster, 1234);
  const distinct = Math.min(iterations, 500);
  const inputs = (kind: MixKind, n: number, uniqueScripts = false): ReviewInput[] =>
    Array.from({ length: n }, () => builder.input(kind, { uniqueScripts }));
  const review = (input: ReviewInput): boolean => reviewer.review(input, state, DEFAULT_POLICY).allowed;
  const random = createRng(99).next;

  const cases = {} as Record<DecisionCase, DecisionFigure>;
  opts.log(`decision: service (${iterations} iterations)`);
  cases.service = time(inputs('service', distinct), iterations, true, review);
  opts.log('decision: service mutation (nodePort assignment)');
  cases['service-mutate'] = time(inputs('service-unset', distinct), iterations, true, (input) => {
    planMutation(input.object, state, DEFAULT_POLICY, random);
    return true;
  });
  opts.log('decision: pod with a 30-line script, parse cache warm');
  cases['pod-script-warm'] = time(inputs('pod-script', distinct), iterations, true, review);
  // Every input carries a script text never analysed before, so nothing is cached.
  const coldN = Math.max(50, Math.floor(iterations / 5));
  opts.log(`decision: pod with a 30-line script, never seen (${coldN} iterations)`);
  cases['pod-script-cold'] = time(inputs('pod-script', coldN, true), coldN, false, review);
  opts.log('decision: deployment');
  cases.deployment = time(inputs('deployment', distinct), iterations, true, review);
  opts.log('decision: service UPDATE with oldObject');
  cases.update = time(inputs('update', distinct), iterations, true, review);
  return { status: 'ok', cases };
}
