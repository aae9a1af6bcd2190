/**
 * `npm run bench:startup`: how long the binary takes to answer `--version` and `--help`,
 * hyperfine style. Each round runs every case once, in turn, so a machine whose load drifts
 * slows all cases alike; one round is a warmup. `node -e 0` is the floor no command can beat.
 * `--bin PATH` (repeatable) compares builds, e.g. a worktree of an older commit.
 *
 * Not a test: wall-clock bounds fail on busy machines. The module-load test
 * (test/cli/lazy-commands.test.ts) is what keeps the fast paths from loading the heavy modules.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from './paths.js';
import { percentile, round } from './stats.js';

/** The cases timed against each binary; the baseline runs once, without a binary. */
export const STARTUP_CASES: readonly (readonly string[])[] = [
  ['--version'],
  ['--help'],
  ['check', '--help'],
  ['serve', '--help'],
];

interface Case {
  label: string;
  argv: string[];
}

interface Row {
  label: string;
  minMs: number;
  medianMs: number;
  meanMs: number;
  maxMs: number;
}

function timeOnce(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  return ms;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      bin: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const bins = (values.bin ?? [join(repoRoot(), 'bin', 'portguard')]).map((b) => resolve(b));
  const cases: Case[] = [{ label: 'node -e 0', argv: ['-e', '0'] }];
  for (const bin of bins) {
    for (const args of STARTUP_CASES) {
      const label = [bins.length > 1 ? bin : 'portguard', ...args].join(' ');
      cases.push({ label, argv: [bin, ...args] });
    }
  }
  const samples = cases.map((): number[] => []);
  const load = loadavg()[0] ?? 0;
  for (let pass = 0; pass <= runs; pass++) {
    cases.forEach((c, i) => {
      const ms = timeOnce(c.argv);
      if (pass > 0) samples[i]!.push(ms);
    });
  }
  const rows: Row[] = cases.map((c, i) => {
    const sorted = [...samples[i]!].sort((a, b) => a - b);
    return {
      label: c.label,
      minMs: round(sorted[0]!, 0),
      medianMs: round(percentile(sorted, 50), 0),
      meanMs: round(sorted.reduce((s, x) => s + x, 0) / sorted.length, 0),
      maxMs: round(sorted[sorted.length - 1]!, 0),
    };
  });
  const summary = {
    node: process.version,
    runs,
    loadAvgStart: round(load),
    loadAvgEnd: round(loadavg()[0] ?? 0),
    rows,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const width = Math.max(...rows.map((r) => r.label.length));
  process.stdout.write(
    `${process.version}, ${runs} runs per case after one warmup round, load average ${summary.loadAvgStart} → ${summary.loadAvgEnd}\n`,
  );
  process.stdout.write(`${'command'.padEnd(width)}   min   median   mean    max (ms)\n`);
  for (const r of rows) {
    const cols = [r.minMs, r.medianMs, r.meanMs, r.maxMs].map((n, i) => String(n).padStart(i === 1 ? 8 : 6));
    process.stdout.write(`${r.label.padEnd(width)} ${cols.join(' ')}\n`);
  }
}

main();
