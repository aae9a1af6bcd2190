/**
 * The administrator's policy: default mode, exemptions and mutation switches. Only the
 * administrator's config grants exemptions; nothing on the reviewed object can.
 */
import { Ajv } from 'ajv';
import type { Finding, Mode, RuleId } from './types.js';

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
  /** Let namespaces choose their mode with the `portguard.io/mode` label. */
  allowNamespaceModeLabel: boolean;
}

export const DEFAULT_POLICY: Policy = {
  mode: 'enforce',
  exemptions: [],
  mutations: { assignNodePorts: true, reservePorts: true },
  allowNamespaceModeLabel: true,
};

const ruleIds = [
  'nodeport-in-ephemeral-range',
  'nodeport-hostport-collision',
  'port-range-overlaps-nodeports',
  'hazardous-node-sysctl',
  'hostnetwork-port-in-ephemeral-range',
  'node-range-overlaps-nodeports',
  'internal-error',
];

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const policySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { enum: [...MODES] },
    allowNamespaceModeLabel: { type: 'boolean' },
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
          rules: { type: 'array', items: { enum: ruleIds } },
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

const validatePolicy = new Ajv({ allErrors: true }).compile(policySchema);

export class PolicyError extends Error {}

/** Validates parsed policy YAML/JSON; the message names each bad field. */
export function policyFromData(data: unknown, source: string): Policy {
  if (data === null || data === undefined) return DEFAULT_POLICY;
  if (!validatePolicy(data)) {
    const detail = (validatePolicy.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
      .join('; ');
    throw new PolicyError(`${source}: invalid policy: ${detail}`);
  }
  const d = data as Partial<Policy>;
  return {
    mode: d.mode ?? DEFAULT_POLICY.mode,
    exemptions: d.exemptions ?? [],
    mutations: { ...DEFAULT_POLICY.mutations, ...(d.mutations ?? {}) },
    allowNamespaceModeLabel: d.allowNamespaceModeLabel ?? DEFAULT_POLICY.allowNamespaceModeLabel,
  };
}

function nameMatches(patterns: string[], name: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
}

export function isExempt(policy: Policy, f: Finding): boolean {
  return policy.exemptions.some(
    (e) =>
      (!e.namespaces || e.namespaces.includes(f.namespace)) &&
      (!e.names || nameMatches(e.names, f.name)) &&
      (!e.kinds || e.kinds.includes(f.kind)) &&
      (!e.rules || e.rules.includes(f.rule)),
  );
}

/** The namespace label overrides the cluster default, if the policy allows it. */
export function effectiveMode(policy: Policy, namespaceLabels?: Record<string, string>): Mode {
  const label = namespaceLabels?.[MODE_LABEL];
  if (policy.allowNamespaceModeLabel && label && (MODES as string[]).includes(label)) return label as Mode;
  return policy.mode;
}
