/**
 * Rule `hazardous-node-sysctl` (deny): a script that reaches the node sets a sysctl
 * known to break cluster networking. Values that cannot be resolved are warned about.
 */
import { atScriptLine, podSysctls, REACHES_NODE_TEXT } from '../core/pod-sysctls.js';
import { asUnknown, listNodes, type Rule } from '../core/rule-context.js';
import type { Finding } from '../core/types.js';
import { HAZARDOUS_BY_KEY } from './hazardous-sysctls.js';
import { ruleMeta } from './rule-meta.js';
import { shownValue } from './shown-value.js';

export const meta = ruleMeta({
  id: 'hazardous-node-sysctl',
  severity: 'deny',
  summary: 'A script that reaches the node sets a sysctl known to break cluster networking.',
  help:
    'net.ipv4.tcp_tw_recycle=1 drops SYNs behind NAT; net.ipv4.ip_forward=0 and ' +
    'net.bridge.bridge-nf-call-iptables=0 break Service traffic. Remove the setting from the node script.',
});

export const hazardousNodeSysctl: Rule = {
  meta,
  evaluate(ctx) {
    if (!ctx.view.pod) return [];
    const findings: Finding[] = [];
    for (const s of podSysctls(ctx).settings) {
      const hazard = HAZARDOUS_BY_KEY.get(s.key);
      if (!hazard || s.target !== 'node') continue;
      const nodes = listNodes(ctx.profiles());
      if (s.value === null) {
        findings.push(
          atScriptLine(
            asUnknown(
              ctx.finding({
                rule: meta.id,
                severity: 'warn',
                path: s.path,
                nodes,
                message:
                  `sets ${s.key} on the node to a value portguard cannot resolve (${s.reason ?? 'dynamic value'}); ` +
                  `if it is a bad value, ${hazard.why}. Use a literal value.`,
              }),
            ),
            s,
          ),
        );
      } else if (hazard.isHazard(s.value)) {
        findings.push(
          atScriptLine(
            ctx.finding({
              rule: meta.id,
              severity: 'deny',
              path: s.path,
              nodes,
              message:
                `sets ${s.key} to ${shownValue(s.value)} on the node (${REACHES_NODE_TEXT[s.reaches ?? 'hostNetwork']}) on ${ctx.describeNodes(nodes)}: ` +
                `${hazard.why}. Fix: ${hazard.fix}.`,
            }),
            s,
          ),
        );
      }
    }
    return findings;
  },
};
