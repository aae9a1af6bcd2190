/**
 * What a rule sees: the object view, the cluster state and lazily computed shared
 * facts (placement, script analysis), so no rule repeats another's work.
 */

import type { RuleMeta } from '../rules/rule-meta.js';
import type { CountedAnalysis, ScriptAnalysis, ScriptAnalyzer } from '../shell/index.js';
import type { ConfigMapData } from './configmap-inputs.js';
import type { ClusterRanges, NodeProfile } from './node-ranges.js';
import type { ContainerRef, ObjectView, ServicePortRef } from './object-view.js';
import { DEFAULT_NODES, type NoCurrentMatch, type Placement, placementOf, profilesOf } from './placement.js';
import { type ReviewBudget, scriptJobs, spendBudget } from './script-jobs.js';
import type { ClusterState } from './state.js';
import type { Finding, RuleId, Severity } from './types.js';

/** Moved to script-jobs.ts with the rest of what decides a review's script work. */
export { envOf } from './script-jobs.js';

export interface ContainerScript {
  ref: ContainerRef;
  analysis: ScriptAnalysis;
}

export interface RuleContext {
  view: ObjectView;
  state: ClusterState;
  /** Is this nodePort a server-side dry-run placeholder rather than a real port? */
  isPlaceholder(ref: ServicePortRef): boolean;
  placement(): Placement;
  profiles(): { profile: NodeProfile; nodes: string[] }[];
  scripts(): ContainerScript[];
  /**
   * `describeNodes` for a list drawn from `profiles()`: the `*` entry says why the pod is
   * judged on the default profile when no current node can take it.
   */
  describeNodes(nodes: NodeList): string;
  /** A finding about the reviewed object. */
  finding(spec: FindingSpec): Finding;
}

/** What a rule says about the reviewed object; the context adds the object's kind, namespace and name. */
export interface FindingSpec {
  rule: RuleId;
  severity: Severity;
  /** JSON path into the object, e.g. `spec.ports[0].nodePort`. */
  path: string;
  /** Every affected node, or a NodeList already cut to MAX_NODES_LISTED names. */
  nodes: readonly string[] | NodeList;
  message: string;
  /** The ports the finding is about, when it is about ports. */
  ports?: number[];
}

/**
 * The first MAX_NODES_LISTED affected node names and how many nodes there are in all.
 * A profile can hold thousands of nodes and a finding lists only 50, so rules count the
 * rest instead of concatenating every name on the request path.
 */
export interface NodeList {
  names: string[];
  total: number;
}

export interface Rule {
  meta: RuleMeta<RuleId>;
  evaluate(ctx: RuleContext): Finding[];
}

/** What a node rule sees: the node data alone, no object (audit runs these once per scan). */
export interface NodeRuleInput {
  ranges: ClusterRanges;
  /** Every node is known (audit's Node list), so the default profile stands for no node. */
  nodesComplete: boolean;
}

/** A rule about the nodes themselves rather than an object; its findings are of kind `Node`. */
export interface NodeRule {
  meta: RuleMeta<RuleId>;
  evaluate(input: NodeRuleInput): Finding[];
}

/** Where a review's script analyses come from, and what it may spend on them. */
export interface ScriptSource {
  analyzer: ScriptAnalyzer;
  budget: ReviewBudget;
  /** Analyses done before the review (the webhook's worker pool), by cache key; the rest run here. */
  given?: ReadonlyMap<string, CountedAnalysis>;
}

export function buildContext(
  view: ObjectView,
  state: ClusterState,
  scriptSource: ScriptSource,
  isPlaceholder: (ref: ServicePortRef) => boolean,
  configMaps?: ConfigMapData,
): RuleContext {
  let placement: Placement | undefined;
  let profiles: { profile: NodeProfile; nodes: string[] }[] | undefined;
  let scripts: ContainerScript[] | undefined;
  const ctx: RuleContext = {
    view,
    state,
    isPlaceholder,
    placement() {
      if (!placement) {
        placement = view.pod
          ? placementOf(view.pod, state.ranges, state.nodesComplete)
          : {
              nodes: [...state.ranges.nodes.values()],
              includesDefault: !state.nodesComplete,
              unconstrained: true,
            };
      }
      return placement;
    },
    profiles() {
      profiles ??= profilesOf(ctx.placement(), state.ranges);
      return profiles;
    },
    scripts() {
      if (!scripts) {
        const { analyzer, budget, given } = scriptSource;
        const jobs = scriptJobs(view, configMaps, budget);
        const analyses = spendBudget(
          jobs,
          budget.totalSteps,
          (job) =>
            given?.get(job.key) ??
            analyzer.countContainer(job.command, job.args, job.env, job.files, job.maxSteps),
        );
        scripts = jobs.map((job, i) => ({ ref: job.ref, analysis: analyses[i]! }));
      }
      return scripts;
    },
    describeNodes(nodes) {
      return describeNodes(nodes.names, 3, nodes.total, defaultNodesText(ctx.placement().noCurrentMatch));
    },
    finding({ rule, severity, path, nodes, message, ports }) {
      const f: Finding = {
        rule,
        severity,
        kind: view.kind,
        namespace: view.namespace,
        name: view.name,
        path,
        nodes: isNodeList(nodes) ? nodes.names.slice(0, MAX_NODES_LISTED) : nodes.slice(0, MAX_NODES_LISTED),
        nodeCount: isNodeList(nodes) ? nodes.total : nodes.length,
        message,
      };
      if (ports) f.ports = ports;
      return f;
    },
  };
  return ctx;
}

/** Marks a warning about a node write that could not be resolved or analysed (policy `unknownNodeWrites`). */
export function asUnknown(f: Finding): Finding {
  return { ...f, unknown: true };
}

/** Findings list at most this many node names; `nodeCount` keeps the total. */
export const MAX_NODES_LISTED = 50;

function isNodeList(nodes: readonly string[] | NodeList): nodes is NodeList {
  return !Array.isArray(nodes);
}

/** Node names of `groups` in order, keeping only the first `max` and counting the rest. */
export function listNodes(groups: Iterable<{ nodes: readonly string[] }>, max = MAX_NODES_LISTED): NodeList {
  const names: string[] = [];
  let total = 0;
  for (const g of groups) {
    for (let i = 0; i < g.nodes.length && names.length < max; i++) names.push(g.nodes[i]!);
    total += g.nodes.length;
  }
  return { names, total };
}

/** How `*` reads in a message, by why the pod lands on the default profile. */
const DEFAULT_NODES_TEXT: Record<NoCurrentMatch | 'entryless', string> = {
  entryless: 'nodes without their own entry (default)',
  selector: 'nodes on the default profile (no current node matches its node selector/affinity)',
  nodeName: 'nodes on the default profile (its nodeName names no current node)',
  noNodes: 'nodes on the default profile (the cluster has no nodes yet)',
};

/** What `*` stands for, given the placement's `noCurrentMatch`. */
export function defaultNodesText(noCurrentMatch: NoCurrentMatch | undefined): string {
  return DEFAULT_NODES_TEXT[noCurrentMatch ?? 'entryless'];
}

/**
 * "worker-1, worker-2 and 3 more" — `*` reads as `defaultText`, the nodes on the default
 * profile. `total` is how many nodes there are when `nodes` holds only the first few names
 * (a NodeList's); it must be at least `nodes.length`.
 */
export function describeNodes(
  nodes: readonly string[],
  max = 3,
  total = nodes.length,
  defaultText = DEFAULT_NODES_TEXT.entryless,
): string {
  // Only the names shown are mapped: `nodes` can list every node of a large cluster.
  const label = (n: string) => (n === DEFAULT_NODES ? defaultText : n);
  if (total <= max) return nodes.map(label).join(', ');
  return `${nodes.slice(0, max).map(label).join(', ')} and ${total - max} more`;
}
