/**
 * How much of a container's env its script analysis considers. The apiserver limits env
 * only by the 3 MiB request: a Deployment can carry 170,000 entries, and building a
 * variable, a cache-key fingerprint and a scope entry for each took 269 MiB and 4.4 s.
 * Real containers have tens to a few hundred variables; past the cap the script is
 * reported unknown rather than analysed, which is sound because unknown is never clean.
 */
import type { ScriptAnalysis } from '../shell/index.js';
import { isObject, type Json } from './object-view.js';

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
