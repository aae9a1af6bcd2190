/**
 * Section 4: the server's RSS with the synthetic state loaded (after a GC, before any
 * request), then RSS sampled through a sustained mixed load. Growth compares the end of
 * the run with a point after warm-up, so JIT and cache fill-up are not counted as a leak.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MixItem } from '../admission-mix.js';
import type { ServerChild } from '../child.js';
import { runLoad } from '../load.js';
import { MB, median, round } from '../stats.js';

export interface MemorySample {
  tSec: number;
  rssMb: number;
  heapUsedMb: number;
}

export interface MemoryResult {
  status: 'ok';
  rssLoadedMb: number;
  heapLoadedMb: number;
  loadSeconds: number;
  reqPerSec: number;
  errors: number;
  samples: MemorySample[];
  /** RSS at the end of warm-up (10% into the run) and at the end (median of the last 3). */
  baselineRssMb: number;
  finalRssMb: number;
  maxRssMb: number;
  growthPct: number;
}

export async function runMemorySection(opts: {
  server: ServerChild;
  items: MixItem[];
  connections: number;
  loadSeconds: number;
  log: (msg: string) => void;
}): Promise<MemoryResult> {
  const { server } = opts;
  const interval = Math.max(0.5, opts.loadSeconds / 24);
  opts.log(`memory: ${opts.loadSeconds} s of load, RSS sampled every ${round(interval, 1)} s`);
  const samples: MemorySample[] = [];
  const t0 = performance.now();
  let running = true;
  const sampler = (async () => {
    while (running) {
      const m = await server.memory();
      samples.push({
        tSec: round((performance.now() - t0) / 1000, 1),
        rssMb: round(m.rssBytes / MB, 1),
        heapUsedMb: round(m.heapUsedBytes / MB, 1),
      });
      await sleep(interval * 1000);
    }
  })();
  const load = await runLoad({
    port: server.port,
    items: opts.items,
    connections: opts.connections,
    durationSec: opts.loadSeconds,
  });
  running = false;
  await sampler;
  const warm = samples.find((s) => s.tSec >= opts.loadSeconds * 0.1) ?? samples[0]!;
  const final = median(samples.slice(-3).map((s) => s.rssMb));
  return {
    status: 'ok',
    rssLoadedMb: round(server.ready.rssBytes / MB, 1),
    heapLoadedMb: round(server.ready.heapUsedBytes / MB, 1),
    loadSeconds: opts.loadSeconds,
    reqPerSec: round(load.reqPerSec),
    errors: load.errors + load.non2xx + load.timeouts,
    samples,
    baselineRssMb: warm.rssMb,
    finalRssMb: final,
    maxRssMb: Math.max(...samples.map((s) => s.rssMb)),
    growthPct: round(((final - warm.rssMb) / warm.rssMb) * 100, 2),
  };
}
