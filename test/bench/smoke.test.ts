/**
 * Keeps the benchmark harness from rotting: runs it at tiny sizes and checks that every
 * figure it promises is a number. It says nothing about speed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/options.js';
import { runBench } from '../../bench/run.js';
import { built, DIST_BENCH, ROOT } from '../support/dist-paths.js';

const finite = expect.any(Number);

describe('bench harness (in-process sections, quick sizes)', () => {
  it('produces decision and reload figures and evaluates their targets', async () => {
    const opts = parseOptions(['--quick', '--sections', 'decision,reload', '--iterations', '50']);
    const lines: string[] = [];
    const summary = await runBench(opts, (l) => lines.push(l));

    expect(summary.state).toMatchObject({
      nodes: 200,
      services: 800,
      hostPods: 80,
      nodePortRange: '30000-59999',
    });
    expect(summary.state.distinctProfiles).toBeGreaterThan(5);
    const decision = summary.sections.decision;
    expect(decision).toMatchObject({ status: 'ok' });
    if (decision?.status !== 'ok') throw new Error('decision section did not run');
    for (const c of Object.values(decision.cases)) {
      expect(c).toMatchObject({ iterations: finite, medianUs: finite, p99Us: finite, maxUs: finite });
      expect(c.medianUs).toBeGreaterThan(0);
    }
    expect(Object.keys(decision.cases).sort()).toEqual(
      ['deployment', 'pod-script-cold', 'pod-script-warm', 'service', 'service-mutate', 'update'].sort(),
    );
    const reload = summary.sections.reload;
    if (reload?.status !== 'ok') throw new Error('reload section did not run');
    expect(reload.all).toMatchObject({ medianMs: finite, maxMs: finite, eldP99Ms: finite });

    const byId = Object.fromEntries(summary.targets.map((t) => [t.id, t]));
    for (const id of ['decision-service', 'decision-pod-script', 'reload-time', 'reload-eld-p99']) {
      expect(byId[id]?.value).toEqual(finite);
      expect(typeof byId[id]?.pass).toBe('boolean');
    }
    // Sections not selected are reported as not run, never as passing.
    expect(byId['check-wall']).toMatchObject({ value: null, pass: null });
    expect(lines.some((l) => l.includes('decision: done'))).toBe(true);
  }, 60_000);
});

describe('bench harness (server children and check, quick sizes)', () => {
  it('runs the compiled harness end to end and writes the JSON summary', async () => {
    // Children cannot run TypeScript, so the harness runs from dist/ like `npm run bench`
    // (compiled by the globalSetup, test/support/compile-once.ts).
    const bench = built(DIST_BENCH);
    const out = join(mkdtempSync(join(tmpdir(), 'portguard-bench-smoke-')), 'summary.json');
    const run = spawnSync(
      process.execPath,
      [
        bench,
        '--quick',
        '--json',
        '--sections',
        'check,webhook,memory,fleet',
        '--fleet-nodes',
        '40',
        '--duration',
        '0.5',
        '--warmup',
        '0.2',
        '--load-seconds',
        '1.5',
        '--connections',
        '2',
        '--out',
        out,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 150_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(summary);

    expect(summary.sections.check).toMatchObject({ status: 'ok', objects: 400, wallMs: finite, exitCode: 1 });
    const webhook = summary.sections.webhook;
    expect(webhook.status, webhook.reason).toBe('ok');
    for (const target of ['portguard', 'fastify', 'https']) {
      expect(webhook.targets[target]).toMatchObject({
        reqPerSec: finite,
        p50Ms: finite,
        p99Ms: finite,
        maxMs: finite,
      });
      expect(webhook.targets[target].requests).toBeGreaterThan(0);
      expect(webhook.targets[target].errors + webhook.targets[target].non2xx).toBe(0);
    }
    expect(webhook.ratios).toMatchObject({
      throughputVsFastify: finite,
      throughputVsHttps: finite,
      p99VsFastify: finite,
    });
    // The mix must exercise the real review: some denials and some patches.
    expect(webhook.portguardAnswers.denied).toBeGreaterThan(0);
    expect(webhook.portguardAnswers.patched).toBeGreaterThan(0);
    expect(summary.sections.memory).toMatchObject({ status: 'ok', rssLoadedMb: finite, growthPct: finite });
    expect(summary.sections.memory.samples.length).toBeGreaterThan(1);

    // The fleet rollout ran for real: every reporter wrote, the replica served every report.
    const fleet = summary.sections.fleet;
    expect(fleet.status, fleet.reason).toBe('ok');
    const [scale] = fleet.scales;
    expect(scale).toMatchObject({ nodes: 40, labelsPerNode: 18, watchReduction: finite });
    expect(scale.measured).toMatchObject({
      convergedMs: finite,
      watchBytes: finite,
      requestBytes: scale.after.requestBytes,
      entriesAsComputed: true,
    });
    expect(scale.measured.watchBytes).toBeGreaterThan(0);
    expect(scale.measured).toMatchObject({ mode: 'reporters', concurrency: finite });
    expect(scale.memory).toMatchObject({ beforeRssMb: finite, afterRssMb: finite, afterHeapMb: finite });

    const byId = Object.fromEntries(summary.targets.map((t: { id: string }) => [t.id, t]));
    for (const id of [
      'webhook-throughput',
      'webhook-p99',
      'check-wall',
      'rss-loaded',
      'rss-growth',
      'fleet-object-size',
      'fleet-watch-reduction',
      'fleet-rebuild',
    ]) {
      expect(typeof byId[id].pass, id).toBe('boolean');
    }
  }, 180_000);
});
