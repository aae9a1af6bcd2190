/** Command-line flags of `npm run bench`; defaults keep a full run at about 5 minutes on 2 cores. */
import { parseArgs } from 'node:util';

export const SECTIONS = ['decision', 'reload', 'check', 'webhook', 'memory', 'fleet'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  json: boolean;
  quick: boolean;
  out: string;
  sections: Section[];
  seed: number;
  /** Webhook section: seconds measured per target per round, warmup seconds, rounds. */
  duration: number;
  warmup: number;
  rounds: number;
  connections: number;
  /** Memory section: seconds of sustained load. */
  loadSeconds: number;
  /** Decision section: timed reviews per case. */
  iterations: number;
  /** Fleet section: node counts (default 5,000 and 15,000; quick 200). */
  fleetNodes: number[];
  /** Fleet section: largest fleet rolled out by real reporters (larger ones get a burst of their events). */
  fleetRolloutMax: number;
  /** Exit 1 when a target fails (for CI gates); the default only reports. */
  strict: boolean;
}

export class OptionsError extends Error {
  override name = 'OptionsError';
}

export const USAGE = `usage: npm run bench -- [flags]
  --json               JSON summary on stdout (logs go to stderr); always written to --out
  --quick              small sizes and short runs (seconds, for a smoke test)
  --out FILE           where to write the JSON summary (default bench-results/latest.json)
  --sections a,b       subset of: ${SECTIONS.join(', ')}
  --duration SEC       webhook: measured seconds per target per round (default 8, quick 1)
  --warmup SEC         webhook: warmup seconds before each measurement (default 2, quick 0.5)
  --rounds N           webhook: A/B/A/B rounds (default 3, quick 1)
  --connections N      webhook and memory: keep-alive connections (default 10)
  --load-seconds SEC   memory: sustained load (default 120, quick 3)
  --iterations N       decision: timed reviews per case (default 5000, quick 200)
  --fleet-nodes a,b    fleet: node counts of the reporter rollouts (default 5000,15000, quick 200)
  --fleet-rollout-max N
                       fleet: real reporters up to N nodes, a burst of their events above
                       (default 5000; 15000 real reporters take 2.5-5 min on 2 cores)
  --seed N             synthetic cluster seed (default 42)
  --strict             exit 1 when a target fails`;

function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new OptionsError(`--${name} must be a positive number, got "${v}"`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      sections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      'load-seconds': { type: 'string' },
      iterations: { type: 'string' },
      seed: { type: 'string' },
      'fleet-nodes': { type: 'string' },
      'fleet-rollout-max': { type: 'string' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new OptionsError(USAGE);
  const quick = values.quick === true;
  let sections: Section[] = [...SECTIONS];
  if (values.sections !== undefined) {
    const wanted = values.sections.split(',').map((s) => s.trim());
    const bad = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (bad.length > 0) throw new OptionsError(`unknown section(s): ${bad.join(', ')}\n${USAGE}`);
    sections = wanted as Section[];
  }
  return {
    json: values.json === true,
    quick,
    out: values.out ?? 'bench-results/latest.json',
    sections,
    seed: Math.floor(num(values.seed, 'seed', 42)),
    duration: num(values.duration, 'duration', quick ? 1 : 8),
    warmup: num(values.warmup, 'warmup', quick ? 0.5 : 2),
    rounds: Math.floor(num(values.rounds, 'rounds', quick ? 1 : 3)),
    connections: Math.floor(num(values.connections, 'connections', 10)),
    loadSeconds: num(values['load-seconds'], 'load-seconds', quick ? 3 : 120),
    iterations: Math.floor(num(values.iterations, 'iterations', quick ? 200 : 5000)),
    fleetNodes:
      values['fleet-nodes'] === undefined
        ? quick
          ? [200]
          : [5000, 15000]
        : values['fleet-nodes'].split(',').map((v) => Math.floor(num(v.trim(), 'fleet-nodes', 0))),
    fleetRolloutMax: Math.floor(num(values['fleet-rollout-max'], 'fleet-rollout-max', 5000)),
    strict: values.strict === true,
  };
}
