/**
 * Rule `port-range-overlaps-nodeports`: a pod widens `ip_local_port_range` over the
 * NodePort range without reserving the overlap. Deny when the write reaches the node
 * (a hostNetwork script, or nsenter into the node's namespace), info when it stays in the
 * pod's own netns, warn when the value, the name or the rest of the script cannot be
 * resolved.
 */

import { KERNEL_DEFAULT_LOCAL_PORT_RANGE } from '../core/node-ranges.js';
import {
  atScriptLine,
  type PodSysctls,
  podSysctls,
  REACHES_NODE_TEXT,
  type SysctlSetting,
  UNKNOWN_SCRIPT_HOST_TEXT,
} from '../core/pod-sysctls.js';
import {
  formatLocalPortRange,
  formatRange,
  type LocalPortRangeWrite,
  PortParseError,
  type PortRange,
  PortSet,
  parseLocalPortRange,
  parseLocalPortRangeWrite,
  parseReservedPorts,
  rangeAfterWrite,
} from '../core/portset.js';
import { asUnknown, listNodes, type NodeList, type Rule, type RuleContext } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';
import { ruleMeta } from './rule-meta.js';
import { isShowable, shownValue } from './shown-value.js';

const RANGE_KEY = 'net.ipv4.ip_local_port_range';
const RESERVED_KEY = 'net.ipv4.ip_local_reserved_ports';
const POD_NETNS_DEFAULT = parseLocalPortRange(KERNEL_DEFAULT_LOCAL_PORT_RANGE);

/** The reserved ports the pod itself sets for a target, or undefined if it sets none. */
function reservedSetBy(sysctls: PodSysctls, target: 'node' | 'pod'): PortSet | undefined | null {
  let out: PortSet | undefined;
  for (const s of sysctls.settings) {
    if (s.key !== RESERVED_KEY || s.target !== target) continue;
    if (s.value === null) return null;
    try {
      // Writing the sysctl replaces the whole list, so the last write wins.
      out = parseReservedPorts(s.value);
    } catch {
      return null;
    }
  }
  return out;
}

/** Whether a partly known name (`*` for what could not be resolved, e.g. `net.ipv4.*`) may be `key`. */
function nameMayBe(name: string, key: string): boolean {
  if (!name.includes('*')) return false;
  const parts = name.split('*');
  let at = 0;
  for (const [i, part] of parts.entries()) {
    const found = i === 0 ? (key.startsWith(part) ? 0 : -1) : key.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return parts[parts.length - 1] === '' || key.endsWith(parts[parts.length - 1]!);
}

function evaluateSetting(ctx: RuleContext, s: SysctlSetting, sysctls: PodSysctls): Finding[] {
  const { ranges } = ctx.state;
  const targetText = s.target === 'node' ? "the node's" : "the pod's own";
  // Lazy: most settings need no node list.
  const nodes = () => listNodes(ctx.profiles());
  if (s.value === null) {
    const f = ctx.finding({
      rule: meta.id,
      severity: s.target === 'node' ? 'warn' : 'info',
      path: s.path,
      nodes: s.target === 'node' ? nodes() : [],
      message:
        `sets ${RANGE_KEY} in ${targetText} network namespace to a value portguard cannot resolve ` +
        `(${s.reason ?? 'dynamic value'}); make it a literal so it can be checked against the NodePort range ` +
        `${formatRange(ranges.nodePortRange)}.`,
    });
    return [s.target === 'node' ? asUnknown(f) : f];
  }
  let write: LocalPortRangeWrite;
  try {
    write = parseLocalPortRangeWrite(s.value);
  } catch (err) {
    if (!(err instanceof PortParseError)) throw err;
    return [
      ctx.finding({
        rule: meta.id,
        severity: 'warn',
        path: s.path,
        nodes: [],
        message: isShowable(s.value)
          ? `sets ${RANGE_KEY} to ${shownValue(s.value)}, which the kernel rejects: ${err.message}.`
          : `sets ${RANGE_KEY} to a value that is not a port range, which the kernel rejects. Use "low high".`,
      }),
    ];
  }
  const written = write.hi === null ? `"${write.lo}"` : `"${formatLocalPortRange(write)}"`;
  const lowOnly = write.hi === null ? ' (one number moves only the low bound; the high bound stays)' : '';
  const ports = write.hi === null ? [write.lo] : [write.lo, write.hi];
  const own = reservedSetBy(sysctls, s.target);
  if (s.target === 'pod') {
    // A new network namespace starts from the kernel default range.
    const range = rangeAfterWrite(write, POD_NETNS_DEFAULT);
    const overlap = range ? PortSet.range(range.lo, range.hi).intersect(ranges.nodePortSet) : PortSet.empty();
    const exposed = own === null ? overlap : overlap.subtract(own ?? PortSet.empty());
    if (exposed.isEmpty()) return [];
    return [
      ctx.finding({
        rule: meta.id,
        severity: 'info',
        path: s.path,
        nodes: [],
        message:
          `sets ${RANGE_KEY} to ${written}${lowOnly} in the pod's own network namespace, overlapping the ` +
          `NodePort range on ${exposed}; harmless to the node, but set ${RESERVED_KEY}=${exposed} too ` +
          'if this pod ever runs with hostNetwork.',
        ports,
      }),
    ];
  }
  // On the node, each profile's current range and reserved ports decide what the write exposes;
  // ports a node already reserves stay reserved unless the script replaces the list.
  const affectedGroups: { nodes: readonly string[] }[] = [];
  let example: { exposed: PortSet; range: PortRange } | undefined;
  for (const g of ctx.profiles()) {
    const range = rangeAfterWrite(write, g.profile.ephemeral);
    if (!range) continue;
    const overlap = PortSet.range(range.lo, range.hi).intersect(ranges.nodePortSet);
    const exposed = own
      ? overlap.subtract(own)
      : own === null
        ? overlap
        : overlap.subtract(g.profile.reserved);
    if (exposed.isEmpty()) continue;
    affectedGroups.push(g);
    example ??= { exposed, range };
  }
  const affected: NodeList = listNodes(affectedGroups);
  if (affected.total === 0 || !example) return [];
  const where = `on the node (${REACHES_NODE_TEXT[s.reaches ?? 'hostNetwork']}) on ${ctx.describeNodes(affected)}`;
  if (own === null) {
    return [
      asUnknown(
        ctx.finding({
          rule: meta.id,
          severity: 'warn',
          path: s.path,
          nodes: affected,
          message:
            `writes ${RANGE_KEY}=${written}${lowOnly} ${where}, overlapping the NodePort range, and sets ` +
            `${RESERVED_KEY} to a value portguard cannot resolve; make it a literal covering ${example.exposed}.`,
          ports,
        }),
      ),
    ];
  }
  const nodePortRange = formatRange(ranges.nodePortRange);
  const coversAll =
    example.range.lo <= ranges.nodePortRange.lo && example.range.hi >= ranges.nodePortRange.hi;
  // Guarding the script with POD_IP != HOST_IP is no fix here: on the node that skips the tuning.
  const fix = coversAll
    ? `Reserve the NodePort range on those nodes: ${RESERVED_KEY}=${nodePortRange} (the range covers all of it).`
    : `Keep the range outside ${nodePortRange}, or reserve the overlap with ${RESERVED_KEY}=${example.exposed}.`;
  return [
    ctx.finding({
      rule: meta.id,
      severity: 'deny',
      path: s.path,
      nodes: affected,
      message:
        `writes ${RANGE_KEY}=${written}${lowOnly} ${where}, so ` +
        (write.hi === null ? `the node's range becomes "${formatLocalPortRange(example.range)}" and ` : '') +
        `ports ${example.exposed} of the NodePort range become source ports whose replies are captured ` +
        `by NodePort rules. ${fix}`,
      ports,
    }),
  ];
}

export const meta = ruleMeta({
  id: 'port-range-overlaps-nodeports',
  severity: 'deny',
  summary: 'A pod widens net.ipv4.ip_local_port_range over the NodePort range.',
  help:
    'On a hostNetwork pod a script that writes the sysctl changes the node, so NodePorts become source ports. ' +
    'Keep the range outside the NodePort range, reserve the overlap with net.ipv4.ip_local_reserved_ports, ' +
    'or guard the script with if [ "$POD_IP" != "$HOST_IP" ]. In the pod\'s own network namespace this is info only.',
  fixedBy: 'reservePorts',
});

export const portRangeOverlapsNodeports: Rule = {
  meta,
  evaluate(ctx) {
    if (!ctx.view.pod) return [];
    const sysctls = podSysctls(ctx);
    const findings: Finding[] = [];
    for (const s of sysctls.settings) {
      if (s.key === RANGE_KEY)
        findings.push(...evaluateSetting(ctx, s, sysctls).map((f) => atScriptLine(f, s)));
      else if (s.target === 'node' && nameMayBe(s.key, RANGE_KEY)) {
        findings.push(
          atScriptLine(
            asUnknown(
              ctx.finding({
                rule: meta.id,
                severity: 'warn',
                path: s.path,
                nodes: listNodes(ctx.profiles()),
                message:
                  `writes a sysctl on the node whose name portguard cannot resolve (${s.reason ?? 'dynamic name'}); ` +
                  `it may be ${RANGE_KEY}. Write the name literally so it can be checked.`,
              }),
            ),
            s,
          ),
        );
      }
    }
    for (const u of sysctls.unknownScripts) {
      if (!u.host) continue;
      findings.push(
        asUnknown(
          ctx.finding({
            rule: meta.id,
            severity: 'warn',
            path: u.path,
            nodes: listNodes(ctx.profiles()),
            message:
              `script of a ${UNKNOWN_SCRIPT_HOST_TEXT[u.host]} container could not be analysed in full (${u.reason}); ` +
              "portguard cannot tell whether the rest changes the node's port ranges. Keep node scripts short and literal.",
          }),
        ),
      );
    }
    return findings;
  },
};
