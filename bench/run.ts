/**
 * `npm run bench`: builds the synthetic cluster, runs the sections of issue 5 and prints
 * the figures with pass/fail per target. The JSON summary always goes to `--out`
 * (bench-results/latest.json); with `--json` it also goes to stdout and every log line
 * to stderr, so the output can be piped.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createReviewer } from '../src/core/review.js';
import { createScriptAnalyzer } from '../src/shell/index.js';
import { generateCertificates } from '../src/tls/generate.js';
import { buildMix } from './admission-mix.js';
import { type ServerChild, startChild } from './child.js';
import { loadTestApiserver } from './fleet/apiserver.js';
import { loadSyntheticState } from './load-state.js';
import { type BenchOptions, OptionsError, parseOptions, type Section } from './options.js';
import { compiled, repoRoot } from './paths.js';
import { formatReport } from './report.js';
import { CHECK_FULL, CHECK_QUICK, type CheckResult, runCheckSection } from './sections/check.js';
import { type DecisionResult, runDecisionSection } from './sections/decision.js';
import { type FleetResult, runFleetSection } from './sections/fleet.js';
import { type MemoryResult, runMemorySection } from './sections/memory.js';
import { type ReloadResult, runReloadSection } from './sections/reload.js';
import {
  runWebhookSection,
  WEBHOOK_TARGETS,
  type WebhookResult,
  type WebhookTarget,
} from './sections/webhook.js';
import { MB, round } from './stats.js';
import {
  FULL_SIZES,
  generateCluster,
  PROFILES,
  QUICK_SIZES,
  SYNTHETIC_NODE_PORT_RANGE,
  type SyntheticSizes,
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
  machine: {
    nproc: number;
    cpu: string;
    node: string;
    platform: string;
    totalMemMb: number;
    /** 1-minute load average at start and end: a busy machine makes every figure suspect. */
    loadAvgStart: number;
    loadAvgEnd: number;
  };
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
    check?: CheckResult | SkippedSection;
    webhook?: WebhookResult | SkippedSection;
    memory?: MemoryResult | SkippedSection;
    fleet?: FleetResult | SkippedSection;
  };
  targets: TargetResult[];
}

export type Log = (msg: string) => void;

function machine(loadAvgStart: number): BenchSummary['machine'] {
  return {
    loadAvgStart,
    loadAvgEnd: round(loadavg()[0] ?? 0),
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
  const loadAvgStart = round(loadavg()[0] ?? 0);
  if (loadAvgStart > availableParallelism()) {
    log(`warning: load average ${loadAvgStart} on ${availableParallelism()} cores; figures will be noisy`);
  }
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

  if (want('check')) {
    sections.check = await section('check', log, () =>
      runCheckSection({ cluster, sizes: opts.quick ? CHECK_QUICK : CHECK_FULL, log }),
    );
  }
  if (want('webhook') || want('memory')) {
    await withServers(opts, log, sizes, async (servers, ca) => {
      const items = buildMix(cluster, opts.quick ? 60 : 300, opts.seed + 1);
      if (want('webhook')) {
        sections.webhook = await section('webhook', log, () =>
          runWebhookSection({
            servers,
            ca,
            items,
            connections: opts.connections,
            durationSec: opts.duration,
            warmupSec: opts.warmup,
            rounds: opts.rounds,
            log,
          }),
        );
      }
      if (want('memory')) {
        sections.memory = await section('memory', log, () =>
          runMemorySection({
            server: servers.portguard,
            items,
            connections: opts.connections,
            loadSeconds: opts.loadSeconds,
            log,
          }),
        );
      }
    }).catch((err: unknown) => {
      const failed: SkippedSection = {
        status: 'error',
        reason: err instanceof Error ? err.message : String(err),
      };
      log(`servers: FAILED: ${failed.reason}`);
      if (want('webhook')) sections.webhook ??= failed;
      if (want('memory')) sections.memory ??= failed;
    });
  }

  if (want('fleet')) {
    sections.fleet = await section('fleet', log, async () =>
      runFleetSection({
        sizes: opts.fleetNodes,
        startApiserver: await loadTestApiserver(),
        childScript: compiled('servers/fleet-source.ts'),
        rolloutMax: opts.fleetRolloutMax,
        seed: opts.seed,
        log,
      }),
    );
  }

  const values: Parameters<typeof evaluateTargets>[0] = {};
  const { decision, reload, check, webhook, memory, fleet } = sections;
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

  if (isOk(check)) {
    values['check-wall'] = opts.quick
      ? { value: check.wallMs, note: `quick run: ${check.objects} objects` }
      : check.wallMs;
  } else if (check) values['check-wall'] = { missing: check.reason };
  if (isOk(webhook)) {
    values['webhook-throughput'] = webhook.ratios.throughputVsFastify;
    values['webhook-p99'] = webhook.ratios.p99VsFastify;
  } else if (webhook) {
    values['webhook-throughput'] = { missing: webhook.reason };
    values['webhook-p99'] = { missing: webhook.reason };
  }
  if (isOk(memory)) {
    values['rss-loaded'] = memory.rssLoadedMb;
    values['rss-growth'] = { value: memory.growthPct, note: `over ${memory.loadSeconds} s` };
  } else if (memory) {
    values['rss-loaded'] = { missing: memory.reason };
    values['rss-growth'] = { missing: memory.reason };
  }

  if (isOk(fleet)) {
    const at = (pick: (s: FleetResult['scales'][number]) => number, worst: 'max' | 'min') => {
      const scale = fleet.scales.reduce((a, b) =>
        (worst === 'max' ? pick(b) > pick(a) : pick(b) < pick(a)) ? b : a,
      );
      return { value: pick(scale), note: `${scale.nodes} nodes` };
    };
    values['fleet-object-size'] = at((s) => round(s.after.largestObjectBytes / 1024), 'max');
    const reduction = at((s) => s.watchReduction, 'min');
    values['fleet-watch-reduction'] = { ...reduction, note: `${reduction.note}, computed` };
    values['fleet-rebuild'] = at((s) => s.rebuild.maxMs, 'max');
  } else if (fleet) {
    for (const id of ['fleet-object-size', 'fleet-watch-reduction', 'fleet-rebuild'])
      values[id] = { missing: fleet.reason };
  }

  return {
    schema: 1,
    startedAt: started.toISOString(),
    durationSec: round((performance.now() - t0) / 1000, 1),
    machine: machine(loadAvgStart),
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

/**
 * Generates a serving certificate for 127.0.0.1, starts portguard and both baselines as
 * child processes, runs `body`, and always stops them.
 */
async function withServers(
  opts: BenchOptions,
  log: Log,
  sizes: SyntheticSizes,
  body: (servers: Record<WebhookTarget, ServerChild>, ca: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portguard-bench-tls-'));
  const started: ServerChild[] = [];
  try {
    const bundle = await generateCertificates({ extraDnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, bundle.cert);
    writeFileSync(keyFile, bundle.key, { mode: 0o600 });
    const config = { certFile, keyFile, sizes, seed: opts.seed };
    const scripts: Record<WebhookTarget, string> = {
      portguard: compiled('servers/portguard-server.ts'),
      fastify: compiled('servers/fastify-allow.ts'),
      https: compiled('servers/https-allow.ts'),
    };
    const servers = {} as Record<WebhookTarget, ServerChild>;
    for (const target of WEBHOOK_TARGETS) {
      const child = await startChild(target, scripts[target], config);
      started.push(child);
      servers[target] = child;
      log(
        `server ${target}: pid ${child.pid}, port ${child.port}, RSS ${round(child.ready.rssBytes / MB, 1)} MB`,
      );
    }
    await body(servers, bundle.caCert);
  } finally {
    await Promise.all(started.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
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
