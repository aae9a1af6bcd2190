/**
 * Section 1: `portguard serve` over HTTPS with keep-alive, against two allow-all
 * baselines with the same TLS settings (fastify: the stack's limit; bare node:https:
 * Node's limit). Targets are measured in alternation, round after round (A/B/C, A/B/C),
 * so drift on a noisy machine hits all of them alike. Each server is its own process.
 */
import { request } from 'node:https';
import type { MixItem } from '../admission-mix.js';
import type { ServerChild } from '../child.js';
import { type LoadFigures, runLoad } from '../load.js';
import { median, round } from '../stats.js';
import { type HeavyReviewFigures, measureHealthzDuringHeavyReview } from './heavy-review.js';

export const WEBHOOK_TARGETS = ['portguard', 'fastify', 'https'] as const;
export type WebhookTarget = (typeof WEBHOOK_TARGETS)[number];

export interface RoundFigures extends LoadFigures {
  target: WebhookTarget;
  round: number;
}

export interface WebhookResult {
  status: 'ok';
  connections: number;
  durationSec: number;
  warmupSec: number;
  rounds: number;
  mix: { requests: number; medianBodyBytes: number; maxBodyBytes: number; byType: Record<string, number> };
  /** What portguard answered to one pass over the mix (proves the reviews ran). */
  portguardAnswers: { allowed: number; denied: number; patched: number; withWarnings: number };
  perRound: RoundFigures[];
  /** /healthz on portguard while one heavy review runs (issue 11). */
  healthzDuringHeavyReview: HeavyReviewFigures;
  /** Median over rounds of req/s, p50 and p99; max is the worst round's max. */
  targets: Record<WebhookTarget, LoadFigures>;
  ratios: {
    throughputVsFastify: number;
    throughputVsHttps: number;
    p50VsFastify: number;
    p99VsFastify: number;
    p99VsHttps: number;
  };
}

interface Answer {
  uid?: string;
  allowed?: boolean;
  patch?: string;
  warnings?: string[];
}

/** POSTs one review and returns the response part; rejects anything not a valid AdmissionReview. */
export function postReview(port: number, ca: string, item: MixItem): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca,
        method: 'POST',
        path: `/${item.webhook}?timeout=10s`,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            const sent = JSON.parse(item.body).request.uid;
            if (res.statusCode !== 200 || body?.response?.uid !== sent) {
              reject(new Error(`bad answer (${res.statusCode}): ${JSON.stringify(body).slice(0, 300)}`));
            } else resolve(body.response as Answer);
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(item.body);
  });
}

function aggregate(rows: RoundFigures[]): LoadFigures {
  const pick = (f: (r: RoundFigures) => number) => round(median(rows.map(f)), 3);
  return {
    reqPerSec: pick((r) => r.reqPerSec),
    p50Ms: pick((r) => r.p50Ms),
    p99Ms: pick((r) => r.p99Ms),
    maxMs: round(Math.max(...rows.map((r) => r.maxMs)), 3),
    requests: rows.reduce((s, r) => s + r.requests, 0),
    errors: rows.reduce((s, r) => s + r.errors, 0),
    timeouts: rows.reduce((s, r) => s + r.timeouts, 0),
    non2xx: rows.reduce((s, r) => s + r.non2xx, 0),
  };
}

export async function runWebhookSection(opts: {
  servers: Record<WebhookTarget, ServerChild>;
  ca: string;
  items: MixItem[];
  connections: number;
  durationSec: number;
  warmupSec: number;
  rounds: number;
  log: (msg: string) => void;
}): Promise<WebhookResult> {
  const { servers, items } = opts;
  // Every server must answer every request type correctly before it is timed.
  const answers = { allowed: 0, denied: 0, patched: 0, withWarnings: 0 };
  for (const target of WEBHOOK_TARGETS) {
    for (const item of items) {
      const a = await postReview(servers[target].port, opts.ca, item);
      if (target !== 'portguard') continue;
      if (a.allowed) answers.allowed++;
      else answers.denied++;
      if (a.patch) answers.patched++;
      if (a.warnings?.length) answers.withWarnings++;
    }
  }
  const perRound: RoundFigures[] = [];
  for (let r = 1; r <= opts.rounds; r++) {
    for (const target of WEBHOOK_TARGETS) {
      const port = servers[target].port;
      await runLoad({ port, items, connections: opts.connections, durationSec: opts.warmupSec });
      const f = await runLoad({ port, items, connections: opts.connections, durationSec: opts.durationSec });
      perRound.push({ target, round: r, ...f });
      opts.log(
        `webhook round ${r} ${target}: ${round(f.reqPerSec)} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ` +
          `max ${f.maxMs} ms, errors ${f.errors + f.non2xx + f.timeouts}`,
      );
    }
  }
  const heavy = await measureHealthzDuringHeavyReview(servers.portguard.port, opts.ca);
  opts.log(
    `webhook heavy review (${heavy.containers} containers, ${heavy.bodyBytes} B): ${heavy.heavyReviewMs} ms; ` +
      `/healthz meanwhile: median ${heavy.healthzMedianMs} ms, max ${heavy.healthzMaxMs} ms (${heavy.healthzSamples} calls)`,
  );
  const targets = Object.fromEntries(
    WEBHOOK_TARGETS.map((t) => [t, aggregate(perRound.filter((r) => r.target === t))]),
  ) as Record<WebhookTarget, LoadFigures>;
  const sizes = items.map((i) => Buffer.byteLength(i.body));
  const byType: Record<string, number> = {};
  for (const i of items) byType[`${i.webhook}:${i.kind}`] = (byType[`${i.webhook}:${i.kind}`] ?? 0) + 1;
  const ratio = (a: number, b: number) => round(a / b, 3);
  return {
    status: 'ok',
    connections: opts.connections,
    durationSec: opts.durationSec,
    warmupSec: opts.warmupSec,
    rounds: opts.rounds,
    mix: { requests: items.length, medianBodyBytes: median(sizes), maxBodyBytes: Math.max(...sizes), byType },
    portguardAnswers: answers,
    perRound,
    healthzDuringHeavyReview: heavy,
    targets,
    ratios: {
      throughputVsFastify: ratio(targets.portguard.reqPerSec, targets.fastify.reqPerSec),
      throughputVsHttps: ratio(targets.portguard.reqPerSec, targets.https.reqPerSec),
      p50VsFastify: ratio(targets.portguard.p50Ms, targets.fastify.p50Ms),
      p99VsFastify: ratio(targets.portguard.p99Ms, targets.fastify.p99Ms),
      p99VsHttps: ratio(targets.portguard.p99Ms, targets.https.p99Ms),
    },
  };
}
