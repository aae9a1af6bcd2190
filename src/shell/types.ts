/**
 * Public data types of the shell analyzer. They live apart from `index.ts` so the internal
 * modules can share them without importing the entry point (which would be circular).
 */

/** One sysctl write that a container script performs when it runs. */
export interface SysctlWrite {
  /**
   * Normalised dotted name, e.g. 'net.ipv4.ip_local_port_range'. Parts that could not be
   * resolved are shown as `*` (e.g. 'net.ipv4.*'); `value` is then null and `reason` says why.
   */
  key: string;
  /** Resolved value as the kernel would receive it (e.g. '1024 65535'); null = cannot resolve. */
  value: string | null;
  via: 'sysctl' | 'proc' | 'sysctl.d';
  /** True when the write only runs if the pod has its own network namespace (POD_IP != HOST_IP guard). */
  onlyInOwnNetns: boolean;
  /**
   * Set when the write runs under `nsenter` into another network namespace: that of the target
   * process (`nsenter -t PID -n`) or of a namespace file (`nsenter --net=FILE`). With hostPID,
   * or a host mount for the file, that is the node's, whatever the pod's own network is.
   */
  enteredNetns?: 'target' | 'file';
  /** 1-based line in the script (for exec form, 1). */
  line: number;
  /** When value is null: why, in a short phrase. */
  reason?: string;
}

export interface ScriptAnalysis {
  writes: SysctlWrite[];
  /**
   * Set when part of the script could not be analysed (over a size or step limit, parse
   * failure, nesting past a limit); `writes` still holds everything found before it. Rules
   * report it as unknown.
   */
  unknown?: string;
}

/** Container env, as in the pod spec: literal values or fieldRef paths. */
export type ScriptEnv = Record<string, { value?: string; fieldRef?: string }>;

/** Files the container can read whose contents are known (ConfigMap mounts), by absolute path. */
export type ScriptFiles = Readonly<Record<string, string>>;

/**
 * An analysis with the work it cost (walker steps plus parser checks), so a review can bound
 * the sum over its containers the same way whether the analysis ran now, came from the cache
 * or from a worker thread. `final` is false when the wall-clock safety net cut it short:
 * such a result holds for the moment only and is never cached.
 */
export interface CountedAnalysis {
  analysis: ScriptAnalysis;
  steps: number;
  final: boolean;
}

export interface ScriptAnalyzer {
  analyzeScript(script: string, env?: ScriptEnv, files?: ScriptFiles): ScriptAnalysis;
  /** Container `command` + `args` as in the pod spec (exec form). */
  analyzeContainer(
    command: string[] | undefined,
    args: string[] | undefined,
    env?: ScriptEnv,
    files?: ScriptFiles,
  ): ScriptAnalysis;
  /**
   * `analyzeContainer` with its cost; `maxSteps` overrides the analyzer's walker-step limit
   * (and then is part of the cache key, see `containerCacheKey`).
   */
  countContainer(
    command: string[] | undefined,
    args: string[] | undefined,
    env?: ScriptEnv,
    files?: ScriptFiles,
    maxSteps?: number,
  ): CountedAnalysis;
  /** The cached analysis under `key` (a `containerCacheKey`), if any. */
  cached(key: string): CountedAnalysis | undefined;
  /** Files an analysis done elsewhere (a worker thread) under `key`; a non-final one is ignored. */
  remember(key: string, counted: CountedAnalysis): void;
}

export interface AnalyzerOptions {
  /** Walker steps one analysis may take (deterministic), default ANALYSIS_DEFAULTS.maxSteps. */
  maxSteps?: number;
  /** Parser progress checks one analysis may take (deterministic), default ANALYSIS_DEFAULTS.maxParseChecks. */
  maxParseChecks?: number;
  /** Wall-clock safety net for one analysis, ms; a result it cuts short is not cached. Default 2000. */
  safetyLimitMs?: number;
  /** Scripts larger than this (UTF-8 bytes) are reported as unknown without parsing, default 256 KiB. */
  maxBytes?: number;
  /** Number of analyses kept in the LRU cache, default 2000. */
  cacheSize?: number;
  /**
   * Analyses done elsewhere (by `check`'s worker threads), keyed by `containerCacheKey`.
   * They enter the cache as if analysed here; the cache grows to hold them all.
   */
  preloaded?: ReadonlyArray<readonly [string, CountedAnalysis]>;
}
