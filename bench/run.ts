/**
 * `npm run bench`: builds the synthetic cluster, runs the sections of issue 5 and prints
 * the figures with pass/fail per target. The JSON summary always goes to `--out`
 * (bench-results/latest.json); with `--json` it also goes to stdout and every log line
 * to stderr, so the output can be piped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createReviewer } from '../src/core/review.js';
import { createScriptAnalyzer } from '../src/shell/index.js';
import { loadSyntheticState } from './load-state.js';
import { type BenchOptions, OptionsError, parseOptions, type Section } from './options.js';
import { repoRoot } from './paths.js';
import { formatReport } from './report.js';
import { type DecisionResult, runDecisionSection } from './sections/decision.js';
import { type ReloadResult, runReloadSection } from './sections/reload.js';
import { MB, round } from './stats.js';
import {
  FULL_SIZES,
  generateCluster,
  PROFILES,
  QUICK_SIZES,
  SYNTHETIC_NODE_PORT_RANGE,
} from './synthetic.js';
import { evaluateTargets, type TargetResult } from './targets.js';

/** A section that could not run (missing build output, a dependency not yet written...). */
export interface SkippedSection {
  status: 'skipped' | 'error';
  reason: string;
}

export interface BenchSummary {
  schema: 1;
  startedAt: string;
  durationSec: number;
  machine: { nproc: number; cpu: string; node: string; platform: string; totalMemMb: number };
  options: BenchOptions;
  state: {
    nodes: number;
    services: number;
    hostPods: number;
    nodeProfiles: number;
    distinctProfiles: number;
    nodePortRange: string;
    loadMs: number;
  };
  sections: {
    decision?: DecisionResult | SkippedSection;
    reload?: ReloadResult | SkippedSection;
    [name: string]: unknown;
  };
  targets: TargetResult[];
}

export type Log = (msg: string) => void;

function machine(): BenchSummary['machine'] {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    totalMemMb: Math.round(totalmem() / MB),
  };
}

async function section<T>(name: Section, log: Log, run: () => Promise<T>): Promise<T | SkippedSection> {
  const t0 = performance.now();
  try {
    const result = await run();
    log(`${name}: done in ${round((performance.now() - t0) / 1000, 1)} s`);
    return result;
  } catch (err) {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    log(`${name}: FAILED: ${reason}`);
    return { status: 'error', reason };
  }
}

function isOk<T extends { status: string }>(s: T | SkippedSection | undefined): s is T {
  return s !== undefined && s.status === 'ok';
}

/** Runs the selected sections and returns the summary; prints nothing but `log` lines. */
export async function runBench(opts: BenchOptions, log: Log): Promise<BenchSummary> {
  const started = new Date();
  const t0 = performance.now();
  const sizes = opts.quick ? QUICK_SIZES : FULL_SIZES;
  log(`synthetic cluster: ${sizes.nodes} nodes, ${sizes.services} Services, ${sizes.hostPods} host pods`);
  const cluster = generateCluster(sizes, opts.seed);
  const loaded = loadSyntheticState(cluster);
  log(`state loaded through the informer path in ${round(loaded.loadMs)} ms`);
  const reviewer = createReviewer({ scripts: await createScriptAnalyzer() });

  const sections: BenchSummary['sections'] = {};
  const want = (s: Section) => opts.sections.includes(s);
  if (want('decision')) {
    sections.decision = await section('decision', log, async () =>
      runDecisionSection({ cluster, state: loaded.state, reviewer, iterations: opts.iterations, log }),
    );
  }
  if (want('reload')) {
    sections.reload = await section('reload', log, () =>
      runReloadSection({ cluster, loaded, reviewer, rounds: opts.quick ? 2 : 6, log }),
    );
  }

  const values: Parameters<typeof evaluateTargets>[0] = {};
  const { decision, reload } = sections;
  if (isOk(decision)) {
    values['decision-service'] = decision.cases.service.medianUs;
    values['decision-pod-script'] = decision.cases['pod-script-cold'].medianUs;
  } else if (decision) {
    values['decision-service'] = { missing: decision.reason };
    values['decision-pod-script'] = { missing: decision.reason };
  }
  if (isOk(reload)) {
    values['reload-time'] = reload.all.maxMs;
    values['reload-eld-p99'] = reload.all.eldP99Ms;
  } else if (reload) {
    values['reload-time'] = { missing: reload.reason };
    values['reload-eld-p99'] = { missing: reload.reason };
  }

  return {
    schema: 1,
    startedAt: started.toISOString(),
    durationSec: round((performance.now() - t0) / 1000, 1),
    machine: machine(),
    options: opts,
    state: {
      nodes: cluster.nodes.length,
      services: cluster.services.length,
      hostPods: cluster.pods.length,
      nodeProfiles: PROFILES.length,
      distinctProfiles: loaded.state.ranges.profiles.size,
      nodePortRange: `${SYNTHETIC_NODE_PORT_RANGE.lo}-${SYNTHETIC_NODE_PORT_RANGE.hi}`,
      loadMs: round(loaded.loadMs),
    },
    sections,
    targets: evaluateTargets(values),
  };
}

/** Writes the summary where `--out` says, relative to the repo root. */
export function writeSummary(summary: BenchSummary, out: string): string {
  const file = resolve(repoRoot(), out);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  return file;
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof OptionsError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
  const log: Log = (msg) => process.stderr.write(`[bench] ${msg}\n`);
  const summary = await runBench(opts, log);
  const file = writeSummary(summary, opts.out);
  if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(formatReport(summary));
  log(`summary written to ${file}`);
  const failed = summary.targets.some((t) => t.pass === false);
  return opts.strict && failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(
        `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
