/**
 * Issue 11's figure: how long /healthz takes while one heavy review runs (a plain pod of 200
 * containers, each with a distinct script that runs into the step limit). /healthz is asked
 * again as soon as it answers, until the heavy review is back; the figures are the worst
 * and median /healthz times, beside the heavy review's own time.
 */
import { request } from 'node:https';
import { round } from '../stats.js';

export interface HeavyReviewFigures {
  containers: number;
  bodyBytes: number;
  heavyReviewMs: number;
  healthzSamples: number;
  healthzMedianMs: number;
  healthzMaxMs: number;
}

function heavyReview(containers: number, nonce: string): string {
  const spec = {
    containers: Array.from({ length: containers }, (_, i) => ({
      name: `c${i}`,
      image: 'busybox',
      command: [
        'sh',
        '-c',
        `f() { g; g; g; g; }\ng() { f; f; f; f; }\nf\n# ${nonce} ${i}\n${'#'.repeat(900)}`,
      ],
    })),
  };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `heavy-${nonce}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'bench',
      operation: 'CREATE',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'heavy', namespace: 'bench' }, spec },
    },
  });
}

function call(port: number, ca: string, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca,
        method,
        path,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function measureHealthzDuringHeavyReview(
  port: number,
  ca: string,
  containers = 200,
): Promise<HeavyReviewFigures> {
  const body = heavyReview(containers, `${process.pid}-${Date.now()}`);
  const started = performance.now();
  let done = false;
  const heavy = call(port, ca, 'POST', '/validate?timeout=10s', body).finally(() => {
    done = true;
  });
  const times: number[] = [];
  while (!done) {
    const t = performance.now();
    await call(port, ca, 'GET', '/healthz');
    times.push(performance.now() - t);
  }
  await heavy;
  const heavyReviewMs = performance.now() - started;
  const sorted = [...times].sort((a, b) => a - b);
  return {
    containers,
    bodyBytes: Buffer.byteLength(body),
    heavyReviewMs: round(heavyReviewMs, 1),
    healthzSamples: times.length,
    healthzMedianMs: round(sorted[Math.floor(sorted.length / 2)] ?? 0, 2),
    healthzMaxMs: round(sorted.at(-1) ?? 0, 2),
  };
}
