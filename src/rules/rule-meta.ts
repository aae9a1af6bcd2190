/**
 * What every output says about a rule, declared once beside the rule (as typescript-eslint's
 * `meta`): the id union, the policy schema, SARIF, `portguard rules`/`explain` and the table
 * in docs/rules.md all read it from here, so a rule's facts cannot disagree between them.
 */
import type { Policy } from '../core/policy.js';
import type { Severity } from '../core/types.js';

export interface RuleMeta<Id extends string = string> {
  id: Id;
  /** The severity of the rule's usual finding (SARIF's default level); messages may use others. */
  severity: Severity;
  /** One line on what fires it: SARIF's short description, `portguard rules`, docs/rules.md. */
  summary: string;
  /**
   * Why it matters and the fix, as SARIF help beside each alert. Absent for a rule that
   * `check` and `audit` never report (SARIF lists only the rules those can report).
   */
  help?: string;
  /**
   * How the policy's exemptions treat the rule, when not as usual: `ignored` is accepted in a
   * policy file but never applied (a fail-closed finding); `refused` makes the file invalid.
   */
  exemptions?: 'ignored' | 'refused';
  /** The mutation that prevents the finding; exempting an object from the rule switches it off there. */
  fixedBy?: keyof Policy['mutations'];
  /** `audit --fix` resolves the finding by moving the Service's nodePort to a safe free port. */
  fixedByMovingNodePort?: true;
}

/** Keeps the literal id, so the catalog can derive the `RuleId` union from the metadata. */
export function ruleMeta<const Id extends string>(meta: RuleMeta<Id>): RuleMeta<Id> {
  return meta;
}
