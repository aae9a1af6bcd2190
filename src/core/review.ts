/**
 * The one policy core: `review(input, state, policy)` returns findings and a decision.
 * It does no I/O; the webhook, `check` and audit only differ in how they build input
 * and state. A rule that throws yields an `internal-error` deny finding, so an
 * exception can never admit an object that was not fully checked (fail closed).
 */
import { RULES } from '../rules/index.js';
import { meta as internalError } from '../rules/internal-error.js';
import type { ScriptAnalyzer } from '../shell/index.js';
import { type ObjectView, objectKey, viewOf } from './object-view.js';
import { placeholderDetector } from './placeholders.js';
import { effectiveMode, isExempt, type Policy } from './policy.js';
import { buildContext, type Rule } from './rule-context.js';
import { REVIEW_BUDGET_DEFAULTS, type ReviewBudget } from './script-jobs.js';
import type { ClusterState } from './state.js';
import type { Decision, Finding, ReviewInput } from './types.js';

export interface ReviewResult extends Decision {
  view?: ObjectView;
}

export interface Reviewer {
  review(input: ReviewInput, state: ClusterState, policy: Policy): ReviewResult;
}

export interface ReviewerDeps {
  scripts: ScriptAnalyzer;
  /** What one object's scripts may cost together; default REVIEW_BUDGET_DEFAULTS. */
  budget?: ReviewBudget;
  rules?: readonly Rule[];
}

function findingKey(f: Finding): string {
  return `${f.rule}|${f.path}|${f.ports?.join(',') ?? ''}`;
}

export function createReviewer(deps: ReviewerDeps): Reviewer {
  const rules = deps.rules ?? RULES;
  const budget = deps.budget ?? REVIEW_BUDGET_DEFAULTS;

  function evaluate(
    view: ObjectView,
    state: ClusterState,
    input: ReviewInput,
    object: unknown,
    old: unknown,
  ) {
    const ctx = buildContext(
      view,
      state,
      input.scriptAnalyses
        ? { analyzer: deps.scripts, budget, given: input.scriptAnalyses }
        : { analyzer: deps.scripts, budget },
      placeholderDetector(input.dryRun === true, object, old),
      input.configMaps,
    );
    const findings: Finding[] = [];
    for (const rule of rules) {
      try {
        findings.push(...rule.evaluate(ctx));
      } catch (err) {
        findings.push(
          ctx.finding({
            rule: internalError.id,
            severity: internalError.severity,
            path: '',
            nodes: [],
            message:
              `portguard could not finish rule ${rule.meta.id} (${err instanceof Error ? err.name : 'error'}); ` +
              'the object was not fully checked, so it is denied. Report this with the object attached.',
          }),
        );
      }
    }
    return findings;
  }

  return {
    review(input, state, policy) {
      const mode = effectiveMode(policy, input.namespaceLabels);
      const target = input.operation === 'DELETE' ? undefined : input.object;
      const view = viewOf(target, input.namespace);
      if (!view) return { allowed: true, mode, findings: [], denials: [], exempted: [] };
      let findings = evaluate(view, state, input, input.object, input.oldObject);
      if (input.operation === 'UPDATE' && input.oldObject !== undefined) {
        const oldView = viewOf(input.oldObject, input.namespace);
        if (oldView && objectKey(oldView) === objectKey(view)) {
          // Judge the old object against the same state: a finding it already had, on no
          // more nodes, is preexisting and must not block edits such as removing finalizers.
          const before = new Map<string, number>();
          for (const f of evaluate(oldView, state, { ...input, dryRun: false }, input.oldObject, undefined)) {
            before.set(findingKey(f), Math.max(before.get(findingKey(f)) ?? 0, f.nodeCount));
          }
          findings = findings.map((f) => {
            const had = before.get(findingKey(f));
            return had !== undefined && f.nodeCount <= had && f.rule !== internalError.id
              ? { ...f, preexisting: true }
              : f;
          });
        }
      }
      if (policy.unknownNodeWrites === 'deny') {
        findings = findings.map((f) => (f.unknown && f.severity === 'warn' ? { ...f, severity: 'deny' } : f));
      }
      const exempted = findings.filter((f) => isExempt(policy, f));
      const active = exempted.length ? findings.filter((f) => !exempted.includes(f)) : findings;
      const denials = mode === 'enforce' ? active.filter((f) => f.severity === 'deny' && !f.preexisting) : [];
      return { allowed: denials.length === 0, mode, findings: active, denials, exempted, view };
    },
  };
}
