/** One autocannon run against a server child, reduced to the figures the report needs. */
import autocannon from 'autocannon';
import type { MixItem } from './admission-mix.js';

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
  const result = await autocannon({
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
  return {
    // requests.average is the mean of per-second samples; total/duration also counts partial seconds.
    reqPerSec: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}
