/**
 * Which container scripts a review analyses, with what step limit, and how the review's
 * total budget is spent on them. The webhook's worker pool (src/server/script-offload.ts)
 * and the rule context both build their list here, so the pool analyses exactly what the
 * review will ask for, under the same cache keys, and stops where the review would.
 */
import {
  type CountedAnalysis,
  containerCacheKey,
  type ScriptAnalysis,
  type ScriptEnv,
  type ScriptFiles,
} from '../shell/index.js';
import { type ConfigMapData, containerInputs } from './configmap-inputs.js';
import { podMayReachNode } from './node-reach.js';
import { type ContainerRef, containersOf, isObject, type Json, type ObjectView } from './object-view.js';
import {
  CONTAINERS_OVER_LIMIT,
  envEntryCount,
  envOverLimit,
  MAX_SCRIPT_CONTAINERS,
  MAX_SCRIPT_ENV_ENTRIES,
  runsFromSpec,
} from './script-limits.js';

/**
 * What one review may spend on scripts, in analyzer steps (walker steps plus parser checks).
 * Counted, never timed, so the same object gets the same answer on any machine.
 */
export interface ReviewBudget {
  /** Steps for all the scripts of one object together. */
  totalSteps: number;
  /** Walker-step limit per script of a pod that cannot reach its node (findings are info at most). */
  unreachableScriptSteps: number;
}

/**
 * Real pods' scripts take a few dozen steps each, so 200,000 (ten scripts at the
 * 20,000-step per-script limit) bounds a hostile object's review to a fraction of a second
 * of one thread while no honest object comes near it. A pod that cannot reach its node can
 * only ever produce info findings, so its scripts get a tenth of the per-script limit.
 */
export const REVIEW_BUDGET_DEFAULTS: ReviewBudget = {
  totalSteps: 200_000,
  unreachableScriptSteps: 2_000,
};

/** One container's analysis as the review asks for it. */
export interface ScriptJob {
  ref: ContainerRef;
  command: string[] | undefined;
  args: string[] | undefined;
  env: ScriptEnv;
  files?: ScriptFiles;
  /** Step limit when it is not the analyzer's own. */
  maxSteps?: number;
  /** The analyzer's cache key for exactly this call. */
  key: string;
  /** Set when a limit decides the answer without analysing (script-limits.ts): never charged. */
  fixed?: ScriptAnalysis;
}

/**
 * The env a container's script sees. Empty when nothing in the spec runs (the env cannot
 * matter), and at most MAX_SCRIPT_ENV_ENTRIES entries (`scriptJobs` reports a longer env
 * unknown before it gets here).
 */
export function envOf(container: Json): ScriptEnv {
  // No prototype: an env var named `__proto__` is data, not the object's prototype.
  const env: ScriptEnv = Object.create(null);
  if (!Array.isArray(container.env) || !runsFromSpec(container)) return env;
  for (const e of container.env.slice(0, MAX_SCRIPT_ENV_ENTRIES)) {
    if (!isObject(e) || typeof e.name !== 'string') continue;
    if (typeof e.value === 'string') env[e.name] = { value: e.value };
    else if (typeof e.valueFrom?.fieldRef?.fieldPath === 'string')
      env[e.name] = { fieldRef: e.valueFrom.fieldRef.fieldPath };
    else env[e.name] = {};
  }
  return env;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.map((x) => String(x)) : undefined;
}

/**
 * The scripts of `view`'s pod in review order. A container reads ConfigMap inputs only when
 * the pod reads any: otherwise the plain call, so the key stays the one `check`'s workers use.
 */
export function scriptJobs(
  view: ObjectView,
  configMaps: ConfigMapData | undefined,
  budget: ReviewBudget,
): ScriptJob[] {
  const pod = view.pod;
  if (!pod) return [];
  const maxSteps = podMayReachNode(pod.spec) ? undefined : budget.unreachableScriptSteps;
  const withInputs = configMaps !== undefined && configMaps.size > 0;
  let withScript = 0;
  return containersOf(pod).map((ref) => {
    const command = stringList(ref.container.command);
    const args = stringList(ref.container.args);
    const limited = (fixed: ScriptAnalysis): ScriptJob => ({ ref, command, args, env: {}, key: '', fixed });
    const runs = runsFromSpec(ref.container);
    if (runs && ++withScript > MAX_SCRIPT_CONTAINERS) return limited(CONTAINERS_OVER_LIMIT);
    const count = envEntryCount(ref.container);
    if (runs && count > MAX_SCRIPT_ENV_ENTRIES) return limited(envOverLimit(count));
    const inputs =
      withInputs && runs
        ? containerInputs(ref.container, pod.spec, view.namespace, configMaps)
        : { env: envOf(ref.container), files: undefined };
    const names = Object.keys(inputs.env).length;
    if (names > MAX_SCRIPT_ENV_ENTRIES) return limited(envOverLimit(names));
    const job: ScriptJob = {
      ref,
      command,
      args,
      env: inputs.env,
      key: containerCacheKey(command, args, inputs.env, inputs.files, maxSteps),
    };
    if (inputs.files !== undefined) job.files = inputs.files;
    if (maxSteps !== undefined) job.maxSteps = maxSteps;
    return job;
  });
}

/** The reason a container past the review budget is unknown. */
export function budgetSpentReason(totalSteps: number): string {
  return `review budget of ${totalSteps} steps spent on earlier containers`;
}

/**
 * Analyses `jobs` in order until the review has spent `totalSteps`: a job starts only while
 * some budget is left, and the rest are unknown. A script repeated in the pod is charged once.
 * A caller that runs a subset of the same jobs in the same order (the worker pool skips
 * cached ones) spends no more at any point, so it never stops before the review would.
 */
export function spendBudget(
  jobs: readonly ScriptJob[],
  totalSteps: number,
  analyze: (job: ScriptJob) => CountedAnalysis,
): ScriptAnalysis[] {
  const charged = new Set<string>();
  let spent = 0;
  return jobs.map((job) => {
    if (job.fixed) return job.fixed;
    if (charged.has(job.key)) return analyze(job).analysis;
    if (spent >= totalSteps) return { writes: [], unknown: budgetSpentReason(totalSteps) };
    const counted = analyze(job);
    charged.add(job.key);
    spent += counted.steps;
    return counted.analysis;
  });
}
