import { LRUCache } from 'lru-cache';
import { type AnalysisOutcome, analyzeArgv, analyzeSource, type Budget } from './analyze.js';
import { cacheKey, type KeyPart } from './cache-key.js';
import { expandKubeVars, shellInput, stripWrappers } from './command.js';
import { BashParser } from './parser.js';
import { Scope } from './scope.js';
import type {
  AnalyzerOptions,
  CountedAnalysis,
  ScriptAnalysis,
  ScriptAnalyzer,
  ScriptEnv,
  ScriptFiles,
} from './types.js';
import { lit } from './value.js';

export { loadLanguage as loadBashGrammar } from './parser.js';
export { normalizeSysctlName, sysctlNameFromProcPath } from './sysctl-name.js';
/**
 * Finds sysctl writes in container scripts (init containers that tune the node), parsing the
 * shell with tree-sitter-bash rather than pattern-matching it.
 */
export type {
  AnalyzerOptions,
  CountedAnalysis,
  ScriptAnalysis,
  ScriptAnalyzer,
  ScriptEnv,
  ScriptFiles,
  SysctlWrite,
} from './types.js';

/**
 * Step limits, counted so the answer never depends on the machine's load. The scripts in
 * shared/realworld and the case files take at most a few dozen walker steps and one parser
 * check; 20,000 steps is a script of several thousand statements, and 4,000 parser checks is a
 * 256 KiB script of ordinary commands. The safety limit is wall-clock and only stops a runaway
 * analysis; a result it cuts short is not cached, so it never outlives the moment.
 */
export const ANALYSIS_DEFAULTS = {
  maxSteps: 20_000,
  maxParseChecks: 4_000,
  safetyLimitMs: 2_000,
  maxBytes: 256 * 1024,
  cacheSize: 2000,
};

/**
 * Creates an analyzer. Async only because the wasm grammar is loaded here; the returned
 * methods are synchronous so the policy core can stay sync and pure.
 */
export async function createScriptAnalyzer(opts: AnalyzerOptions = {}): Promise<ScriptAnalyzer> {
  const maxSteps = opts.maxSteps ?? ANALYSIS_DEFAULTS.maxSteps;
  const maxParseChecks = opts.maxParseChecks ?? ANALYSIS_DEFAULTS.maxParseChecks;
  const safetyLimitMs = opts.safetyLimitMs ?? ANALYSIS_DEFAULTS.safetyLimitMs;
  const maxBytes = opts.maxBytes ?? ANALYSIS_DEFAULTS.maxBytes;
  const preloaded = opts.preloaded ?? [];
  const capacity = (opts.cacheSize ?? ANALYSIS_DEFAULTS.cacheSize) + preloaded.length;
  // The same template script arrives once per pod, thousands of times. lru-cache needs a
  // positive bound; a cacheSize of 0 (tests, benchmarks) means no cache at all.
  const cache = capacity > 0 ? new LRUCache<string, CountedAnalysis>({ max: capacity }) : undefined;
  // Results are shared between callers through the cache, so nobody may mutate them.
  const remember = (key: string, counted: CountedAnalysis) => {
    // A result the wall-clock safety net cut short depends on the moment: never remembered.
    if (counted.final) cache?.set(key, deepFreeze(counted));
  };
  for (const [key, counted] of preloaded) remember(key, counted);
  const parser = await BashParser.create();
  const budget = (steps = maxSteps): Budget => ({
    maxSteps: steps,
    maxParseChecks,
    deadline: performance.now() + safetyLimitMs,
  });

  const cached = (key: string, run: () => AnalysisOutcome | ScriptAnalysis): CountedAnalysis => {
    const hit = cache?.get(key);
    if (hit) return hit;
    const out = run();
    const counted: CountedAnalysis =
      'analysis' in out
        ? { analysis: out.analysis, steps: out.steps + out.parseChecks, final: !out.timedOut }
        : { analysis: out, steps: 0, final: true };
    remember(key, counted);
    return deepFreeze(counted);
  };

  // Checked before hashing for the cache key, so oversized input costs next to nothing.
  const tooBig = (source: string): CountedAnalysis | null => {
    // UTF-8 never has fewer bytes than UTF-16 code units, so long strings are rejected uncounted.
    const bytes = source.length > maxBytes ? source.length : Buffer.byteLength(source, 'utf8');
    return bytes > maxBytes
      ? {
          analysis: { writes: [], unknown: `script is over the ${maxBytes} byte limit` },
          steps: 0,
          final: true,
        }
      : null;
  };

  const script = (
    source: string,
    env: ScriptEnv | undefined,
    positional: string[] | null,
    files: ScriptFiles | undefined,
    steps?: number,
  ): AnalysisOutcome | ScriptAnalysis => {
    const rejected = tooBig(source);
    if (rejected) return rejected.analysis;
    const scope = Scope.fromEnv(env);
    if (positional) scope.positional = positional.map(lit);
    return analyzeSource(parser, source, scope, budget(steps), files);
  };

  const countContainer: ScriptAnalyzer['countContainer'] = (command, args, env, files, steps) => {
    const rejected = tooBig([...(command ?? []), ...(args ?? [])].join(' '));
    if (rejected) return rejected;
    return cached(containerCacheKey(command, args, env, files, steps), () => {
      // Kubernetes substitutes $(VAR) before the process starts.
      const argv = [...(command ?? []), ...(args ?? [])].map((a) => expandKubeVars(a, env));
      const inner = stripWrappers(argv, (s) => s);
      const input = shellInput(inner, (s) => s);
      if (input === null) {
        const bytes = argv.reduce((n, a) => n + Buffer.byteLength(a, 'utf8'), 0);
        if (bytes > maxBytes)
          return { writes: [], unknown: `argv is ${bytes} bytes, over the ${maxBytes} byte limit` };
        return analyzeArgv(parser, inner, Scope.fromEnv(env), budget(steps), files);
      }
      // A container's stdin is empty unless it is attached: a shell reading it runs nothing.
      if (input.from === 'stdin') return { writes: [] };
      // The script is in the image or a volume, not in the pod spec: unknown, never clean.
      if (input.from === 'file') {
        const path = inner[input.index]!;
        const mounted = files && Object.hasOwn(files, path) ? files[path] : undefined;
        // A script mounted from a ConfigMap whose data is at hand is read like an inline one.
        if (mounted !== undefined)
          return script(mounted, env, [path, ...inner.slice(input.index + 1)], files, steps);
        return { writes: [], unknown: `runs ${path}, a script file portguard cannot read` };
      }
      return script(inner[input.index]!, env, inner.slice(input.index + 1), files, steps);
    });
  };

  return {
    analyzeScript(source, env, files) {
      const rejected = tooBig(source);
      if (rejected) return rejected.analysis;
      return cached(cacheKey('script', [source, envFingerprint(env), filesFingerprint(files)]), () =>
        script(source, env, null, files),
      ).analysis;
    },
    analyzeContainer(command, args, env, files) {
      return countContainer(command, args, env, files).analysis;
    },
    countContainer,
    cached: (key) => cache?.get(key),
    remember,
  };
}

/**
 * The cache key of `analyzeContainer(command, args, env)`: a worker that analysed a
 * container sends its result under this key, and `preloaded` files it here.
 */
export function containerCacheKey(
  command: string[] | undefined,
  args: string[] | undefined,
  env: ScriptEnv | undefined,
  files?: ScriptFiles,
  maxSteps?: number,
): string {
  const parts: KeyPart[] = [command ?? null, args ?? null, envFingerprint(env)];
  // Without files the key is what it always was, so `check`'s workers and the main thread agree.
  if (files && Object.keys(files).length > 0) parts.push(filesFingerprint(files));
  // A smaller step limit can give another answer, so it gets its own entry.
  if (maxSteps !== undefined) parts.push(['maxSteps', String(maxSteps)]);
  return cacheKey('container', parts);
}

function filesFingerprint(files: ScriptFiles | undefined): [string, string][] {
  return Object.entries(files ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function envFingerprint(env: ScriptEnv | undefined): [string, string | null, string | null][] {
  return Object.entries(env ?? {})
    .map(([k, v]): [string, string | null, string | null] => [k, v.value ?? null, v.fieldRef ?? null])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
