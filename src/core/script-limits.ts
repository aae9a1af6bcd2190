/**
 * How much of a pod the script analysis takes: containers, and env per container. Past
 * either cap the scripts are reported unknown rather than analysed, which is sound because
 * unknown is never clean.
 *
 * Env: how much of a container's env its script analysis considers. The apiserver limits env
 * only by the 3 MiB request: a Deployment can carry 170,000 entries, and building a
 * variable, a cache-key fingerprint and a scope entry for each took 269 MiB and 4.4 s.
 * Real containers have tens to a few hundred variables; past the cap the script is
 * reported unknown rather than analysed, which is sound because unknown is never clean.
 */
import type { ScriptAnalysis } from '../shell/index.js';
import { isObject, type Json } from './object-view.js';

/**
 * Containers with a command or args whose scripts one pod's analysis takes. A 3 MiB
 * Deployment fits 21,000 containers with a script each; analysing them all took one review
 * to 266 MiB RSS (the shipped limit is 256 MiB). Real pods have a handful of containers, and
 * node-tuning ones one or two init containers.
 */
export const MAX_SCRIPT_CONTAINERS = 200;

/** The analysis of every container with a script past the first MAX_SCRIPT_CONTAINERS. */
export const CONTAINERS_OVER_LIMIT: ScriptAnalysis = Object.freeze({
  writes: Object.freeze([]) as unknown as ScriptAnalysis['writes'],
  unknown: `the pod has more than ${MAX_SCRIPT_CONTAINERS} containers with a command or args; portguard analyses the first ${MAX_SCRIPT_CONTAINERS}`,
});

/** Env variables (env entries plus names from envFrom ConfigMaps) one container's analysis takes. */
export const MAX_SCRIPT_ENV_ENTRIES = 1_000;

/**
 * Whether the pod spec says what the container runs (command or args). Without either
 * the image's entrypoint runs, which the analysis never sees, so the env cannot matter.
 */
export function runsFromSpec(container: Json): boolean {
  const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;
  return isObject(container) && (nonEmpty(container.command) || nonEmpty(container.args));
}

/** The analysis of a container whose env has more than MAX_SCRIPT_ENV_ENTRIES variables. */
export function envOverLimit(count: number): ScriptAnalysis {
  return {
    writes: [],
    unknown: `the container has ${count} env variables, over the ${MAX_SCRIPT_ENV_ENTRIES} portguard analyses`,
  };
}

/** Number of env entries in the spec (not counting envFrom), read without touching them. */
export function envEntryCount(container: Json): number {
  return Array.isArray(container.env) ? container.env.length : 0;
}
