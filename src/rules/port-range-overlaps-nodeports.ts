/**
 * Rule `port-range-overlaps-nodeports`: a pod widens `ip_local_port_range` over the
 * NodePort range without reserving the overlap. Deny when the write reaches the node
 * (hostNetwork script, seed 000), info when it stays in the pod's own netns, warn when
 * the value cannot be resolved.
 */
import {
  type PodSysctls,
  podSysctls,
  REACHES_NODE_TEXT,
  type SysctlSetting,
  UNKNOWN_SCRIPT_HOST_TEXT,
} from '../core/pod-sysctls.js';
import {
  formatRange,
  PortParseError,
  PortSet,
  parseLocalPortRange,
  parseReservedPorts,
} from '../core/portset.js';
import { listNodes, type NodeList, type Rule, type RuleContext } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';
import { isShowable, shownValue } from './shown-value.js';

const RANGE_KEY = 'net.ipv4.ip_local_port_range';
const RESERVED_KEY = 'net.ipv4.ip_local_reserved_ports';

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

function evaluateSetting(ctx: RuleContext, s: SysctlSetting, sysctls: PodSysctls): Finding[] {
  const { ranges } = ctx.state;
  const targetText = s.target === 'node' ? "the node's" : "the pod's own";
  const severity = s.target === 'node' ? 'deny' : 'info';
  // Lazy: most settings need no node list.
  const nodes = () => listNodes(ctx.profiles());
  if (s.value === null) {
    return [
      ctx.finding(
        'port-range-overlaps-nodeports',
        s.target === 'node' ? 'warn' : 'info',
        s.path,
        s.target === 'node' ? nodes() : [],
        `sets ${RANGE_KEY} in ${targetText} network namespace to a value portguard cannot resolve ` +
          `(${s.reason ?? 'dynamic value'}); make it a literal so it can be checked against the NodePort range ` +
          `${formatRange(ranges.nodePortRange)}.`,
      ),
    ];
  }
  let range: { lo: number; hi: number };
  try {
    range = parseLocalPortRange(s.value);
  } catch (err) {
    if (!(err instanceof PortParseError)) throw err;
    return [
      ctx.finding(
        'port-range-overlaps-nodeports',
        'warn',
        s.path,
        [],
        isShowable(s.value)
          ? `sets ${RANGE_KEY} to ${shownValue(s.value)}, which the kernel rejects: ${err.message}.`
          : `sets ${RANGE_KEY} to a value that is not a port range, which the kernel rejects. Use "low high".`,
      ),
    ];
  }
  const overlap = PortSet.range(range.lo, range.hi).intersect(ranges.nodePortSet);
  if (overlap.isEmpty()) return [];
  const own = reservedSetBy(sysctls, s.target);
  if (own === null) {
    return [
      ctx.finding(
        'port-range-overlaps-nodeports',
        'warn',
        s.path,
        s.target === 'node' ? nodes() : [],
        `sets ${RANGE_KEY} to ${formatRange(range)}, overlapping the NodePort range, and sets ` +
          `${RESERVED_KEY} to a value portguard cannot resolve; make it a literal covering ${overlap}.`,
        [range.lo, range.hi],
      ),
    ];
  }
  if (s.target === 'pod') {
    const exposed = overlap.subtract(own ?? PortSet.empty());
    if (exposed.isEmpty()) return [];
    return [
      ctx.finding(
        'port-range-overlaps-nodeports',
        severity,
        s.path,
        [],
        `sets ${RANGE_KEY} to ${formatRange(range)} in the pod's own network namespace, overlapping the ` +
          `NodePort range on ${exposed}; harmless to the node, but set ${RESERVED_KEY}=${exposed} too ` +
          'if this pod ever runs with hostNetwork.',
        [range.lo, range.hi],
      ),
    ];
  }
  // On the node, ports it already reserves stay reserved unless the script replaces the list.
  const affectedGroups: { nodes: readonly string[] }[] = [];
  let exposedExample = overlap;
  for (const g of ctx.profiles()) {
    const exposed = overlap.subtract(own ?? g.profile.reserved);
    if (!exposed.isEmpty()) {
      affectedGroups.push(g);
      exposedExample = exposed;
    }
  }
  const affected: NodeList = listNodes(affectedGroups);
  if (affected.total === 0) return [];
  return [
    ctx.finding(
      'port-range-overlaps-nodeports',
      severity,
      s.path,
      affected,
      `writes ${RANGE_KEY}=${formatRange(range)} on the node (${REACHES_NODE_TEXT[s.reaches ?? 'hostNetwork']}) on ${ctx.describeNodes(affected)}, ` +
        `so ports ${exposedExample} of the NodePort range become source ports and replies to them are ` +
        `captured by NodePort rules. Keep the range outside ${formatRange(ranges.nodePortRange)}` +
        // A POD_IP/HOST_IP guard cannot help a write that nsenters the node's namespace.
        (s.reaches === 'hostNetwork'
          ? `, reserve the overlap with ${RESERVED_KEY}, or guard the script with if [ "$POD_IP" != "$HOST_IP" ].`
          : ` or reserve the overlap with ${RESERVED_KEY}.`),
      [range.lo, range.hi],
    ),
  ];
}

export const portRangeOverlapsNodeports: Rule = {
  id: 'port-range-overlaps-nodeports',
  evaluate(ctx) {
    if (!ctx.view.pod) return [];
    const sysctls = podSysctls(ctx);
    const findings: Finding[] = [];
    for (const s of sysctls.settings) {
      if (s.key === RANGE_KEY) findings.push(...evaluateSetting(ctx, s, sysctls));
    }
    for (const u of sysctls.unknownScripts) {
      if (!u.host) continue;
      findings.push(
        ctx.finding(
          'port-range-overlaps-nodeports',
          'warn',
          u.path,
          listNodes(ctx.profiles()),
          `script of a ${UNKNOWN_SCRIPT_HOST_TEXT[u.host]} container could not be analysed in full (${u.reason}); ` +
            "portguard cannot tell whether the rest changes the node's port ranges. Keep node scripts short and literal.",
        ),
      );
    }
    return findings;
  },
};
