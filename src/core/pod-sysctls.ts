/**
 * Every sysctl a pod sets, from `securityContext.sysctls` and from container scripts,
 * with where the setting lands: the node (a hostNetwork pod's unguarded script, or a script
 * that nsenters the node's network namespace) or the pod's own network namespace. Rules and
 * mutation share this one list.
 */
import type { SysctlWrite } from '../shell/index.js';
import { normalizeSysctlName } from '../shell/sysctl-name.js';
import { nodeReachOf } from './node-reach.js';
import { isObject, type PodView } from './object-view.js';
import type { RuleContext } from './rule-context.js';
import type { Finding } from './types.js';

export interface SysctlSetting {
  key: string;
  /** null when the script analysis could not resolve the value. */
  value: string | null;
  target: 'node' | 'pod';
  /** How a node-target setting reaches the node (set exactly when `target` is 'node'). */
  reaches?: ReachesNode;
  path: string;
  via: 'securityContext' | 'sysctl' | 'proc' | 'sysctl.d';
  reason?: string;
  /**
   * The script line of the `sysctl` command or `/proc/sys` write. Not set for `sysctl.d`
   * entries, whose line may be in a file the script reads rather than in the script.
   */
  line?: number;
}

/** The finding, marked with the script line of the setting it is about, if it has one. */
export function atScriptLine(f: Finding, s: SysctlSetting): Finding {
  return s.line === undefined ? f : { ...f, scriptLine: s.line };
}

/**
 * How a script's write reaches the node's network namespace, or undefined when it stays in
 * the pod's. `nsenter -t PID -n` enters PID's namespace: with hostPID the PIDs are the node's
 * (PID 1 is its init), without it they are the pod's own. `nsenter --net=FILE` needs the file
 * from the host (`/proc/1/ns/net` with hostPID, or a hostPath mount): judged conservatively as
 * the node's whenever the pod has either.
 */
export function reachesNode(pod: PodView, w: SysctlWrite): ReachesNode | undefined {
  const reach = nodeReachOf(pod.spec);
  if (reach.hostNetwork && !w.onlyInOwnNetns) return 'hostNetwork';
  if (w.enteredNetns === 'target' && reach.hostPID) return 'nsenter-target';
  if (w.enteredNetns === 'file' && (reach.hostPID || reach.hostPathVolume)) return 'nsenter-file';
  return undefined;
}

/** What lets a script that could not be read reach the node. */
export type UnknownScriptHost = 'hostNetwork' | 'hostPID' | 'hostPath';

/** For messages: "script of a … container". */
export const UNKNOWN_SCRIPT_HOST_TEXT: Record<UnknownScriptHost, string> = {
  hostNetwork: 'hostNetwork',
  hostPID: 'hostPID',
  hostPath: 'hostPath-volume',
};

/** How a script's write gets into the node's network namespace. */
export type ReachesNode = 'hostNetwork' | 'nsenter-target' | 'nsenter-file';

/** For messages: "on the node (…)". */
export const REACHES_NODE_TEXT: Record<ReachesNode, string> = {
  hostNetwork: 'hostNetwork script',
  'nsenter-target': "nsenter into a host process's network namespace, hostPID",
  'nsenter-file': 'nsenter --net with a network namespace file from the host',
};

export interface PodSysctls {
  settings: SysctlSetting[];
  /**
   * Scripts that could not be analysed in full (a step, size or nesting limit, a parse
   * failure), with their path and reason; what was found before the limit is in `settings`.
   * `host` is set when the script runs where it could reach the node: hostNetwork, or a way
   * for `nsenter` to enter the node's namespace (hostPID, or a hostPath volume).
   */
  unknownScripts: { path: string; reason: string; host?: UnknownScriptHost }[];
}

const cache = new WeakMap<RuleContext, PodSysctls>();

export function podSysctls(ctx: RuleContext): PodSysctls {
  const hit = cache.get(ctx);
  if (hit) return hit;
  const result: PodSysctls = { settings: [], unknownScripts: [] };
  const pod = ctx.view.pod;
  if (pod) {
    const sysctls = pod.spec.securityContext?.sysctls;
    if (Array.isArray(sysctls)) {
      sysctls.forEach((s, i) => {
        if (!isObject(s) || typeof s.name !== 'string') return;
        result.settings.push({
          key: normalizeSysctlName(s.name),
          value: typeof s.value === 'string' ? s.value : String(s.value ?? ''),
          // Kubelet and (since 1.29) the apiserver refuse net.* sysctls with hostNetwork.
          target: 'pod',
          path: `${pod.specPath}.securityContext.sysctls[${i}]`,
          via: 'securityContext',
        });
      });
    }
    for (const { ref, analysis } of ctx.scripts()) {
      const path = `${ref.path}.${Array.isArray(ref.container.args) && !Array.isArray(ref.container.command) ? 'args' : 'command'}`;
      if (analysis.unknown) {
        // Unread, a script that could nsenter the node's namespace (hostPID, or a namespace
        // file from a hostPath volume) is assumed to, as reachesNode judges the writes it found.
        const reach = nodeReachOf(pod.spec);
        const host: UnknownScriptHost | undefined = reach.hostNetwork
          ? 'hostNetwork'
          : reach.hostPID
            ? 'hostPID'
            : reach.hostPathVolume
              ? 'hostPath'
              : undefined;
        result.unknownScripts.push({ path, reason: analysis.unknown, ...(host ? { host } : {}) });
      }
      for (const w of analysis.writes) {
        const reaches = reachesNode(pod, w);
        const s: SysctlSetting = {
          key: normalizeSysctlName(w.key),
          value: w.value,
          target: reaches ? 'node' : 'pod',
          path,
          via: w.via,
        };
        if (reaches) s.reaches = reaches;
        if (w.reason) s.reason = w.reason;
        if (w.via !== 'sysctl.d') s.line = w.line;
        result.settings.push(s);
      }
    }
  }
  cache.set(ctx, result);
  return result;
}
