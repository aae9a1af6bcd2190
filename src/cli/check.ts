/**
 * `portguard check` without the command-line parsing: load manifests and ranges, build
 * one cluster state from all of them, review each object with the same core the
 * webhook uses, and print a report. Exported so tests and the benchmark run it
 * in-process; all I/O goes through `CheckIO`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configMapKey } from '../core/configmap-inputs.js';
import { PortInventory } from '../core/inventory.js';
import type { ClusterRanges } from '../core/node-ranges.js';
import { objectKey, viewOf } from '../core/object-view.js';
import type { Policy } from '../core/policy.js';
import type { Reviewer } from '../core/review.js';
import type { ClusterState } from '../core/state.js';
import type { Mode } from '../core/types.js';
import { ManifestError } from '../input/manifest-error.js';
import { MAX_ALIAS_COUNT } from '../input/yaml-input.js';
import type { ScriptAnalyzer } from '../shell/index.js';
import { type CheckProgress, fileCounter } from './check-progress.js';
import { type ClusterFlags, ClusterReadError, readRangesFromCluster } from './cluster-ranges.js';
import { ExitCode } from './exit-codes.js';
import { type FailOn, withVerdict } from './fail-on.js';
import { formatReport, type OutputFormat } from './format/index.js';
import type { CheckedObject, CheckReport, InputError, ReportedFinding } from './format/report.js';
import { locateAll } from './locate.js';
import type { LoadedObject } from './manifest-loader.js';
import { loadManifestsParallel } from './parallel-load.js';

/**
 * The policy core, ajv and tree-sitter's glue, loaded once the workers have started
 * rather than before (about 100 ms of module loading that the workers need not wait for).
 */
function loadCore() {
  return Promise.all([
    import('./ranges-file.js'),
    import('../core/node-ranges.js'),
    import('../core/policy.js'),
    import('../core/review.js'),
    import('../shell/index.js'),
  ]).then(([rangesFile, nodeRanges, policy, review, shell]) => ({
    rangesFile,
    nodeRanges,
    policy,
    review,
    shell,
  }));
}

export interface CheckOptions extends ClusterFlags {
  paths: string[];
  /** Ranges file (ConfigMap, data map, or a List or documents holding one), `-` for stdin; built-in defaults when absent and no `kubeconfig` is given. */
  ranges?: string;
  output: OutputFormat;
  /** Overrides the policy file's mode. */
  mode?: Extract<Mode, 'enforce' | 'warn'>;
  /** Policy file (the administrator's exemptions and default mode). */
  config?: string;
  /** Which findings fail the run (exit 1): `deny` (default) or `warn`; see fail-on.ts. */
  failOn?: FailOn;
  /** Directory SARIF artifact URIs are relative to (default: the working directory). */
  baseDir?: string;
}

export interface CheckIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin?: () => Promise<Buffer>;
  /** Colour in text output; the command sets it from the TTY, FORCE_COLOR and NO_COLOR. */
  color?: boolean;
  /** Wrap text output at this width (the terminal's); undefined: no wrapping. */
  columns?: number;
  cwd?: string;
  /** A ready analyzer, so repeated in-process runs (benchmark, tests) load the wasm once. */
  scripts?: ScriptAnalyzer;
  /** Files read, then files checked, for a progress line (check-progress.ts). */
  progress?: (progress: CheckProgress) => void;
}

/** The same object (kind/namespace/name) defined in two places. */
export interface Duplicate {
  key: string;
  first: LoadedObject;
  again: LoadedObject;
}

/**
 * Builds the state every object is reviewed against: all loaded objects enter the port
 * inventory first, so collisions are found across files in both directions. When the
 * same object appears twice, the later definition holds the inventory slot, as it would
 * after `kubectl apply` of both; each definition is still reviewed on its own.
 *
 * Objects are added as the loader delivers them, so on a large tree the inventory fills
 * while worker threads are still parsing instead of after them.
 */
export class CheckStateBuilder {
  private readonly added: LoadedObject[] = [];
  private readonly inventory = new PortInventory();
  private readonly seen = new Map<string, LoadedObject>();
  private readonly duplicates: Duplicate[] = [];

  add(objects: LoadedObject[]): void {
    for (const loaded of objects) {
      this.added.push(loaded);
      const view = viewOf(loaded.object);
      if (!view) continue;
      const key = objectKey(view);
      const first = this.seen.get(key);
      if (first) this.duplicates.push({ key, first, again: loaded });
      else this.seen.set(key, loaded);
      this.inventory.upsertView(view);
    }
  }

  /**
   * The state for exactly `objects`. What was added is used only when it is that very
   * list (same objects, same order); otherwise, e.g. after the loader fell back to this
   * thread half-way, the state is built from `objects` alone. `nodesComplete` is true only
   * when `ranges` holds exactly the cluster's nodes (read live with `--kubeconfig`).
   */
  finish(
    objects: LoadedObject[],
    ranges: ClusterRanges,
    nodesComplete = false,
  ): { state: ClusterState; duplicates: Duplicate[] } {
    const same = this.added.length === objects.length && this.added.every((o, i) => o === objects[i]);
    if (!same) return buildCheckState(objects, ranges, nodesComplete);
    // emptyState() with this inventory; written out so that state.ts (and ajv, which its
    // node-ranges import compiles schemas with) loads only after the workers start.
    const state: ClusterState = { ranges, nodesComplete, inventory: this.inventory };
    return { state, duplicates: this.duplicates };
  }
}

/** The state from every object at once, for callers that have them all. */
export function buildCheckState(
  objects: LoadedObject[],
  ranges: ClusterRanges,
  nodesComplete = false,
): { state: ClusterState; duplicates: Duplicate[] } {
  const builder = new CheckStateBuilder();
  builder.add(objects);
  return builder.finish(objects, ranges, nodesComplete);
}

/**
 * The ConfigMaps in the input, for scripts that read them (env, mounted files). One without a
 * namespace is applied with `kubectl apply -n`, like the objects that read it, so it counts in
 * every namespace of the input.
 */
export function configMapsOf(objects: LoadedObject[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const namespaces = new Set<string>(['']);
  for (const { object } of objects) {
    const ns = (object as { metadata?: { namespace?: unknown } })?.metadata?.namespace;
    if (typeof ns === 'string') namespaces.add(ns);
  }
  for (const { object } of objects) {
    const o = object as {
      kind?: unknown;
      metadata?: { name?: unknown; namespace?: unknown };
      data?: unknown;
    };
    if (o?.kind !== 'ConfigMap' || typeof o.metadata?.name !== 'string') continue;
    if (typeof o.data !== 'object' || o.data === null || Array.isArray(o.data)) continue;
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.data)) if (typeof v === 'string') data[k] = v;
    const ns = o.metadata.namespace;
    for (const n of typeof ns === 'string' ? [ns] : namespaces)
      out.set(configMapKey(n, o.metadata.name), data);
  }
  return out;
}

/** Reviews every object; pure given the reviewer (no I/O). `errors` are the inputs that could not be read. */
export function reviewObjects(
  objects: LoadedObject[],
  state: ClusterState,
  reviewer: Reviewer,
  policy: Policy,
  files: string[],
  errors: InputError[] = [],
  progress?: (progress: CheckProgress) => void,
): CheckReport {
  const done = progress && fileCounter((n) => progress({ phase: 'check', done: n, total: files.length }));
  const checked: CheckedObject[] = [];
  const findings: ReportedFinding[] = [];
  let exempted = 0;
  let denied = false;
  const configMaps = configMapsOf(objects);
  const unplaced: { loaded: LoadedObject; path: string; scriptLine?: number; finding: ReportedFinding }[] =
    [];
  for (const loaded of objects) {
    done?.add([loaded]);
    const result = reviewer.review(
      { operation: 'CHECK', object: loaded.object, ...(configMaps.size > 0 ? { configMaps } : {}) },
      state,
      policy,
    );
    if (!result.view) continue;
    exempted += result.exempted.length;
    if (result.denials.length > 0) denied = true;
    const own: ReportedFinding[] = result.findings.map((f) => ({
      ...f,
      file: loaded.file,
      line: loaded.line,
    }));
    for (const f of own) unplaced.push({ loaded, path: f.path, scriptLine: f.scriptLine, finding: f });
    checked.push({
      file: loaded.file,
      line: loaded.line,
      kind: result.view.kind,
      namespace: result.view.namespace,
      name: result.view.name,
      findings: own,
    });
    for (const f of own) findings.push(f);
  }
  done?.flush();
  // Each finding at the key its path names (the object's line when it has no source), all
  // located in one pass.
  const places = locateAll(unplaced);
  unplaced.forEach(({ finding }, i) => {
    Object.assign(finding, places[i]);
  });
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  return {
    mode: policy.mode,
    files,
    objects: checked,
    findings,
    errors,
    summary: {
      objects: objects.length,
      checked: checked.length,
      findings: findings.length,
      deny: count('deny'),
      warn: count('warn'),
      info: count('info'),
      exempted,
      denied,
      errors: errors.length,
    },
  };
}

/** A report of nothing checked, for a run stopped by bad ranges, policy or cluster data. */
function emptyReport(mode: CheckReport['mode'], errors: InputError[]): CheckReport {
  const summary = { objects: 0, checked: 0, findings: 0, deny: 0, warn: 0, info: 0, exempted: 0 };
  return {
    mode,
    files: [],
    objects: [],
    findings: [],
    errors,
    summary: { ...summary, denied: false, errors: errors.length },
  };
}

/** A manifest file's error as the report shows it. */
function manifestInputError(err: ManifestError): InputError {
  return {
    file: err.file,
    ...(err.line !== undefined ? { line: err.line } : {}),
    ...(err.column !== undefined ? { column: err.column } : {}),
    message: err.detail,
  };
}

/** `message` without a leading `file: `, which the report shows apart. */
function withoutFile(message: string, file: string | undefined): string {
  return file !== undefined && message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

/**
 * The ranges, policy or cluster error as report entries (one per bad ConfigMap key), or
 * undefined when `err` is none of those (a bug, rethrown).
 */
function configInputErrors(
  err: unknown,
  opts: CheckOptions,
  core: Awaited<ReturnType<typeof loadCore>> | undefined,
): InputError[] | undefined {
  if (err instanceof ClusterReadError) {
    return err.message.split('\n').map((message) => ({ message }));
  }
  if (core && err instanceof core.rangesFile.RangesFileError) {
    if (err.errors.length === 0) return [{ file: err.file, message: withoutFile(err.message, err.file) }];
    return err.errors.map((e) => ({ file: err.file, message: `key "${e.key}": ${e.message}` }));
  }
  if (core && err instanceof core.policy.PolicyError) {
    const file = opts.config;
    // One entry per problem: the policy parser reports each on its own line.
    return err.message
      .split('\n')
      .map((line) => (file === undefined ? { message: line } : { file, message: withoutFile(line, file) }));
  }
  return undefined;
}

/** `file:line: message`, as stderr shows an input error. */
function errorLine(e: InputError): string {
  const at = [e.file, e.line].filter((p) => p !== undefined).join(':');
  return `portguard check: ${at ? `${at}: ` : ''}${e.message}\n`;
}

/**
 * Writes the report and returns the exit code. Input errors are in the report, whatever
 * its format; with a machine format, whose stdout is usually a file (an upload step's
 * SARIF), they also go to stderr for the person reading the log.
 */
function finish(opts: CheckOptions, io: CheckIO, reviewed: CheckReport): ExitCode {
  // `denied` becomes the run's verdict at --fail-on, so every format says what the exit code says.
  const report = withVerdict(reviewed, opts.failOn ?? 'deny');
  if (opts.output !== 'text') for (const e of report.errors) io.stderr(errorLine(e));
  const cwd = resolve(io.cwd ?? process.cwd());
  io.stdout(
    formatReport(opts.output, report, {
      color: io.color === true,
      ...(io.columns !== undefined ? { columns: io.columns } : {}),
      cwd,
      ...(opts.baseDir !== undefined ? { baseDir: resolve(cwd, opts.baseDir) } : {}),
    }),
  );
  if (report.errors.length > 0) return ExitCode.BadInput;
  return report.summary.denied ? ExitCode.Denied : ExitCode.Ok;
}

/** Reads the administrator's policy file (YAML or JSON). */
export async function loadPolicyFile(file: string, cwd = process.cwd()): Promise<Policy> {
  const { PolicyError, policyFromData } = await import('../core/policy.js');
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new PolicyError(`${file}: cannot read policy file: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: MAX_ALIAS_COUNT, prettyErrors: false });
  } catch (err) {
    throw new PolicyError(`${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return policyFromData(data, file);
}

function uniqueFiles(objects: LoadedObject[]): string[] {
  return [...new Set(objects.map((o) => o.file))];
}

/** A usage error in the flags that choose where the node data comes from, or undefined. */
function flagConflict(opts: CheckOptions): string | undefined {
  if (opts.ranges !== undefined && opts.kubeconfig !== undefined) {
    return 'use either --ranges FILE or --kubeconfig FILE, not both';
  }
  if (opts.ranges === '-' && opts.paths.includes('-')) {
    return 'stdin can feed either --ranges - or the manifests (-), not both';
  }
  if (opts.kubeconfig === undefined) {
    const stray = (['context', 'namespace', 'configmap'] as const).filter((f) => opts[f] !== undefined);
    if (stray.length > 0) {
      return `${stray.map((f) => `--${f}`).join(', ')} ${stray.length === 1 ? 'needs' : 'need'} --kubeconfig`;
    }
  }
  return undefined;
}

/** Runs the whole check and returns the exit code; never throws for bad input. */
export async function runCheck(opts: CheckOptions, io: CheckIO): Promise<ExitCode> {
  let core: Awaited<ReturnType<typeof loadCore>> | undefined;
  try {
    const usage = flagConflict(opts);
    if (usage) {
      io.stderr(`portguard check: ${usage}\n`);
      return ExitCode.BadInput;
    }
    if (opts.paths.length === 0) {
      io.stderr('portguard check: no input; give files, directories, or - for stdin\n');
      return ExitCode.BadInput;
    }
    // Large inputs load on worker threads, which also analyse pod scripts unless the
    // caller brought its own analyzer (then there is no cache to hand the results to).
    const stop = new AbortController();
    const builder = new CheckStateBuilder();
    const read = io.progress && fileCounter((files) => io.progress?.({ phase: 'read', files }));
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const load = () =>
      loadManifestsParallel(opts.paths, {
        readStdin: io.readStdin,
        ...(io.cwd ? { cwd: io.cwd } : {}),
        analyzeScripts: !io.scripts,
        signal: stop.signal,
        onStart: () => markStarted(),
        onObjects: (objects) => {
          builder.add(objects);
          read?.add(objects);
        },
      }).then(
        // Settled, so a failure is not "unhandled" while the ranges are still being read.
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    // Files start loading now, so the workers parse while this thread reads the ranges and
    // policy, whose errors still come first. Stdin waits: it may never end, and a bad
    // ranges file must fail without reading it.
    const early = opts.paths.includes('-') ? undefined : load();
    // Listing files takes many event-loop turns; loading the core and parsing the ranges
    // below hold this thread, so the workers are created first (or the listing failed:
    // its error waits for the ranges').
    if (early) await Promise.race([started, early]);
    core = await loadCore();
    const { createScriptAnalyzer } = core.shell;
    // The grammar loads (wasm) while the files do; the analyzer built later finds it loaded.
    // A failure is left to that creation to report.
    const grammar = io.scripts ? undefined : core.shell.loadBashGrammar().catch(() => undefined);
    let ranges: ClusterRanges;
    let nodesComplete = false;
    let policy: Policy;
    try {
      if (opts.ranges) {
        const read = await core.rangesFile.loadRanges(opts.ranges, {
          ...(io.cwd ? { cwd: io.cwd } : {}),
          ...(io.readStdin ? { readStdin: io.readStdin } : {}),
        });
        ranges = read.ranges;
        for (const w of read.warnings) io.stderr(`portguard check: warning: ${w}\n`);
      } else if (opts.kubeconfig) {
        const read = await readRangesFromCluster(opts, (note) => io.stderr(`portguard check: ${note}\n`));
        ranges = read.ranges;
        nodesComplete = read.nodesComplete;
      } else {
        ranges = core.nodeRanges.defaultRanges();
        io.stderr(
          'portguard check: no --ranges or --kubeconfig given; using built-in defaults (NodePort range 30000-32767, ' +
            'every node on the kernel default ip_local_port_range 32768 60999)\n',
        );
      }
      policy = opts.config ? await loadPolicyFile(opts.config, io.cwd) : core.policy.DEFAULT_POLICY;
    } catch (err) {
      stop.abort();
      const errors = configInputErrors(err, opts, core);
      if (!errors) throw err;
      return finish(opts, io, emptyReport(opts.mode ?? 'enforce', errors));
    }
    if (opts.mode) policy = { ...policy, mode: opts.mode };
    // Namespace labels are unknown to check, so the policy's mode applies everywhere.
    policy = { ...policy, allowNamespaceModeLabel: false };

    const result = await (early ?? load());
    if ('error' in result) throw result.error;
    const { objects, analyses, errors } = result.value;
    const { state, duplicates } = builder.finish(objects, ranges, nodesComplete);
    for (const d of duplicates) {
      io.stderr(
        `portguard check: ${d.key} is defined twice (${d.first.file}:${d.first.line} and ` +
          `${d.again.file}:${d.again.line}); each is reviewed, and the later one is used for collisions\n`,
      );
    }
    await grammar;
    const scripts = io.scripts ?? (await createScriptAnalyzer({ preloaded: analyses }));
    const reviewer = core.review.createReviewer({ scripts });
    const report = reviewObjects(
      objects,
      state,
      reviewer,
      policy,
      uniqueFiles(objects),
      errors.map(manifestInputError),
      io.progress,
    );
    return finish(opts, io, report);
  } catch (err) {
    // Only a bug gets here; bad input of every kind is in the report.
    if (err instanceof ManifestError) {
      io.stderr(`portguard check: ${err.message}\n`);
      return ExitCode.BadInput;
    }
    throw err;
  }
}
