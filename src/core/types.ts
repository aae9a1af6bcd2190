/**
 * Shared data types of the policy core. Everything here is plain data so that the
 * webhook, the `check` CLI and the audit scanner can build the same inputs.
 */

import type { RuleId } from '../rules/catalog.js';
import type { CountedAnalysis } from '../shell/index.js';
import type { ConfigMapData } from './configmap-inputs.js';

export type Severity = 'deny' | 'warn' | 'info';

/** Declared by the rules' metadata (src/rules/catalog.ts). */
export type { RuleId };

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface Finding {
  rule: RuleId;
  severity: Severity;
  kind: string;
  namespace: string;
  name: string;
  /** JSON path into the reviewed object, e.g. `spec.ports[0].nodePort`. */
  path: string;
  /** Affected node names (may be truncated for display; see `nodeCount`). */
  nodes: string[];
  /** Total number of affected nodes, since `nodes` is capped for large clusters. */
  nodeCount: number;
  message: string;
  /** The ports the finding is about, when it is about ports. */
  ports?: number[];
  /** True when the finding existed on the old object too (UPDATE), so it is not blocking. */
  preexisting?: boolean;
  /**
   * True for a warning that something a script does on the node could not be resolved or
   * analysed; the policy's `unknownNodeWrites: deny` turns it into a denial.
   */
  unknown?: boolean;
  /**
   * For a finding about one command of a container script (`path` ends in `.command` or
   * `.args`): the 1-based line of that command in the script, so `check` can point at it.
   */
  scriptLine?: number;
}

export type Mode = 'enforce' | 'warn' | 'audit';

export interface Decision {
  allowed: boolean;
  mode: Mode;
  findings: Finding[];
  /** Findings that block (deny severity, enforce mode, not preexisting, not exempt). */
  denials: Finding[];
  /** Findings removed by administrator exemptions (reported for audit only). */
  exempted: Finding[];
}

/** One place on a node where a port is bound: a Service nodePort or a pod host port. */
export interface PortOwner {
  kind: string;
  namespace: string;
  name: string;
  path: string;
  protocol: Protocol;
  port: number;
  /**
   * For pods, the nodes the pod can run on (undefined = every node). Services bind
   * their nodePorts on every node.
   */
  nodes?: string[];
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT' | 'CHECK' | 'AUDIT';

/** The normalised request the core reviews, built by an adapter (webhook, CLI, audit). */
export interface ReviewInput {
  operation: Operation;
  object: unknown;
  oldObject?: unknown;
  /** Server-side dry run: nodePorts allocated by the apiserver are placeholders. */
  dryRun?: boolean;
  /** Labels of the object's namespace, when known (for per-namespace mode). */
  namespaceLabels?: Record<string, string>;
  /** Namespace from the request, used when the object itself carries none. */
  namespace?: string;
  /**
   * ConfigMaps the pod reads (env and mounted files), by `namespace/name`, as far as the
   * caller has them; scripts that read one not given here stay unknown.
   */
  configMaps?: ConfigMapData;
  /**
   * Script analyses the caller already has, by `ScriptJob.key` (the webhook's worker pool
   * ran them, or gave up at its deadline); every other script is analysed by the reviewer.
   */
  scriptAnalyses?: ReadonlyMap<string, CountedAnalysis>;
}
