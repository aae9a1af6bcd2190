/**
 * The administrator's policy: default mode, exemptions and mutation switches. Only the
 * administrator's config grants exemptions; nothing on the reviewed object can.
 */
import { Ajv } from 'ajv';
import { EXEMPTABLE_RULE_IDS, ruleMetaOf } from '../rules/catalog.js';
import { describeSchemaErrors } from './schema-errors.js';
import type { Mode, RuleId } from './types.js';

export const MODE_LABEL = 'portguard.io/mode';
export const MODES: readonly Mode[] = ['enforce', 'warn', 'audit'];

export interface Exemption {
  namespaces?: string[];
  /** Object names; a trailing `*` matches a prefix. */
  names?: string[];
  kinds?: string[];
  rules?: RuleId[];
}

export interface Policy {
  mode: Mode;
  exemptions: Exemption[];
  mutations: { assignNodePorts: boolean; reservePorts: boolean };
  /**
   * Let namespaces choose their mode with the `portguard.io/mode` label. Off by default:
   * whoever can label a namespace could otherwise switch enforcement off for it.
   */
  allowNamespaceModeLabel: boolean;
  /** Who may set, change or remove the mode label while it is allowed (see mode-label-guard). */
  modeLabelAdmins: ModeLabelAdmins;
  /**
   * What a script's unknown (unresolvable or unanalysed) write that reaches the node does in
   * enforce mode: `warn` admits with a warning, `deny` rejects until it is made literal.
   */
  unknownNodeWrites: 'warn' | 'deny';
}

export interface ModeLabelAdmins {
  users: string[];
  groups: string[];
}

export const DEFAULT_POLICY: Policy = {
  mode: 'enforce',
  exemptions: [],
  mutations: { assignNodePorts: true, reservePorts: true },
  allowNamespaceModeLabel: false,
  modeLabelAdmins: { users: [], groups: [] },
  unknownNodeWrites: 'warn',
};

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const policySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { enum: [...MODES] },
    allowNamespaceModeLabel: { type: 'boolean' },
    unknownNodeWrites: { enum: ['warn', 'deny'] },
    modeLabelAdmins: {
      type: 'object',
      additionalProperties: false,
      properties: { users: stringList, groups: stringList },
    },
    exemptions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          namespaces: stringList,
          names: stringList,
          kinds: stringList,
          rules: { type: 'array', items: { enum: EXEMPTABLE_RULE_IDS } },
        },
      },
    },
    mutations: {
      type: 'object',
      additionalProperties: false,
      properties: { assignNodePorts: { type: 'boolean' }, reservePorts: { type: 'boolean' } },
    },
  },
} as const;

// verbose: the errors carry the schema and data that `describeSchemaErrors` names.
const validatePolicy = new Ajv({ allErrors: true, verbose: true }).compile(policySchema);

export class PolicyError extends Error {}

/**
 * Validates parsed policy YAML/JSON. Each problem is one line of the message, naming the
 * file, the path and, for an unknown key, the closest known one: an administrator fixes a
 * typo from the message alone.
 */
export function policyFromData(data: unknown, source: string): Policy {
  if (data === null || data === undefined) return DEFAULT_POLICY;
  if (!validatePolicy(data)) {
    const lines = describeSchemaErrors(validatePolicy.errors);
    throw new PolicyError(lines.map((line) => `${source}: invalid policy: ${line}`).join('\n'));
  }
  const d = data as Partial<Policy>;
  return {
    mode: d.mode ?? DEFAULT_POLICY.mode,
    exemptions: d.exemptions ?? [],
    mutations: { ...DEFAULT_POLICY.mutations, ...(d.mutations ?? {}) },
    allowNamespaceModeLabel: d.allowNamespaceModeLabel ?? DEFAULT_POLICY.allowNamespaceModeLabel,
    modeLabelAdmins: {
      users: d.modeLabelAdmins?.users ?? [],
      groups: d.modeLabelAdmins?.groups ?? [],
    },
    unknownNodeWrites: d.unknownNodeWrites ?? DEFAULT_POLICY.unknownNodeWrites,
  };
}

function nameMatches(patterns: string[], name: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
}

/** What an exemption matches: a rule and the object it is about. A Finding is one. */
export interface ExemptionTarget {
  rule: RuleId;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Whether the administrator's exemptions lift `rule` for the object; never for a rule whose
 * metadata says exemptions do not apply to it (internal-error fails closed).
 */
export function isExempt(policy: Policy, { rule, kind, namespace, name }: ExemptionTarget): boolean {
  if (ruleMetaOf(rule).exemptions !== undefined) return false;
  return policy.exemptions.some(
    (e) =>
      (!e.namespaces || e.namespaces.includes(namespace)) &&
      (!e.names || nameMatches(e.names, name)) &&
      (!e.kinds || e.kinds.includes(kind)) &&
      (!e.rules || e.rules.includes(rule)),
  );
}

/** The namespace label overrides the cluster default, if the policy allows it. */
export function effectiveMode(policy: Policy, namespaceLabels?: Record<string, string>): Mode {
  const label = namespaceLabels?.[MODE_LABEL];
  if (policy.allowNamespaceModeLabel && label && (MODES as string[]).includes(label)) return label as Mode;
  return policy.mode;
}
