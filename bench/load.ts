/** One autocannon run against a server child, reduced to the figures the report needs. */
import autocannon from 'autocannon';
import type { MixItem } from './admission-mix.js';
import { percentile, round } from './stats.js';

export interface LoadFigures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export interface LoadOptions {
  port: number;
  items: readonly MixItem[];
  connections: number;
  durationSec: number;
}

/**
 * Keep-alive HTTPS load (autocannon keeps each connection open, as the apiserver does),
 * cycling through the mix; the apiserver's `?timeout=10s` query is included.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadFigures> {
  // autocannon's own histogram keeps whole milliseconds, so a sub-millisecond baseline reads
  // as p99 0 ms and every ratio against it is undefined; its 'response' event carries the
  // hrtime-based latency in fractional ms, which is what the percentiles here are taken from.
  const latencies = new LatencySamples();
  const instance = autocannon({
    url: `https://127.0.0.1:${opts.port}`,
    connections: opts.connections,
    pipelining: 1,
    duration: opts.durationSec,
    timeout: 10,
    requests: opts.items.map((i) => ({
      method: 'POST',
      path: `/${i.webhook}?timeout=10s`,
      headers: { 'content-type': 'application/json' },
      body: i.body,
    })),
  });
  instance.on('response', (_client, _status, _bytes, responseTimeMs) => latencies.add(responseTimeMs));
  const result = await instance;
  return {
    // requests.average is the mean of per-second samples; total/duration also counts partial seconds.
    reqPerSec: result.requests.total / result.duration,
    p50Ms: latencies.percentile(50),
    p99Ms: latencies.percentile(99),
    maxMs: latencies.max(),
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Fractional-millisecond latencies in a growable Float64Array (a 10 s run is ~100k samples). */
export class LatencySamples {
  private data = new Float64Array(1 << 16);
  private n = 0;
  private sorted = true;

  add(ms: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = ms;
    this.sorted = false;
  }

  get count(): number {
    return this.n;
  }

  /** Nearest-rank percentile (stats.ts), rounded to µs; NaN when nothing was recorded. */
  percentile(p: number): number {
    const view = this.data.subarray(0, this.n);
    if (!this.sorted) {
      view.sort();
      this.sorted = true;
    }
    return round(percentile(view, p), 3);
  }

  max(): number {
    return this.percentile(100);
  }
}
