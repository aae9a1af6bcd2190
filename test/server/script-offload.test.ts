/**
 * Issue 11, "one review must not stall the replica": script analysis runs on a worker pool,
 * so /healthz and other reviews are answered while a heavy review waits for it, and a pool
 * that misses the review deadline makes those scripts unknown. Ordering of completions is
 * asserted, never durations. The pool runs the compiled worker (vitest runs .ts sources).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewOf } from '../../src/core/object-view.js';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.js';
import { createReviewer } from '../../src/core/review.js';
import { REVIEW_BUDGET_DEFAULTS, scriptJobs } from '../../src/core/script-jobs.js';
import { createScriptOffload, deadlineReason, type ScriptOffload } from '../../src/server/script-offload.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../../src/shell/index.js';
import { ensureBuilt, ROOT } from '../cli/run-cli.js';
import { type Json, nodePortService, post, stateWith, testApp, WIDENED } from './helpers.js';

const workerUrl = pathToFileURL(join(ROOT, 'dist', 'src', 'server', 'script-pool-worker.js'));

/** Mutual recursion that runs into the per-script step limit; the comment makes each one distinct. */
const heavy = (i: number) => `f() { g; g; g; g; }\ng() { f; f; f; f; }\nf\n# container ${i}\n`;

function heavyPod(count: number, spec: object = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'heavy', namespace: 'shop' },
    spec: {
      ...spec,
      containers: Array.from({ length: count }, (_, i) => ({
        name: `c${i}`,
        image: 'busybox',
        command: ['sh', '-c', heavy(i)],
      })),
    },
  };
}

function review(uid: string, object: unknown) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: (object as Json).kind },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      object,
    },
  };
}

const state = stateWith({ 'worker-1': WIDENED });
const offloads: ScriptOffload[] = [];

async function appWithPool(deadlineMs: number, policy: Policy = DEFAULT_POLICY) {
  const analyzer = await createScriptAnalyzer();
  const tasks: string[] = [];
  const offload = createScriptOffload({
    analyzer,
    budget: REVIEW_BUDGET_DEFAULTS,
    threads: 1,
    deadlineMs,
    workerUrl,
    onTask: (outcome) => tasks.push(outcome),
  });
  offloads.push(offload);
  const reviewer = createReviewer({ scripts: analyzer, budget: REVIEW_BUDGET_DEFAULTS });
  return { ...(await testApp({ state, policy, reviewer, scriptOffload: offload })), analyzer, tasks };
}

beforeAll(() => ensureBuilt(), 180_000);
afterAll(async () => {
  for (const o of offloads) await o.close();
});

describe('script analysis on the worker pool', () => {
  it('answers /healthz and a plain Service review before a heavy review finishes', async () => {
    const { app } = await appWithPool(120_000);
    const pod = heavyPod(200);
    const done: string[] = [];
    const track = <T>(name: string, p: Promise<T>) =>
      p.then((r) => {
        done.push(name);
        return r;
      });
    const heavyReview = track('heavy', post(app, '/validate', review('heavy', pod)));
    const health = track('healthz', app.inject({ method: 'GET', url: '/healthz' }));
    const service = track(
      'service',
      post(app, '/validate', review('svc', nodePortService('web', 30080, 'shop'))),
    );
    const [h, hz, svc] = await Promise.all([heavyReview, health, service]);

    expect(done.indexOf('healthz')).toBeLessThan(done.indexOf('heavy'));
    expect(done.indexOf('service')).toBeLessThan(done.indexOf('heavy'));
    expect(hz.statusCode).toBe(200);
    expect(svc.body.response.uid).toBe('svc');
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(h.body.response).toMatchObject({ uid: 'heavy', allowed: true });
    await app.close();
  });

  it('gives the same answer as a review that analyses on its own thread', async () => {
    const { app } = await appWithPool(120_000);
    const local = createReviewer({ scripts: await createScriptAnalyzer({ cacheSize: 0 }) });
    const plain = await testApp({ state, reviewer: local });
    const pod = heavyPod(30, { hostNetwork: true });
    const pooled = await post(app, '/validate', review('same', pod));
    const inProcess = await post(plain.app, '/validate', review('same', pod));
    expect(pooled.body).toEqual(inProcess.body);
    // The budget cut the object short: ten scripts at the per-script limit, the rest unknown.
    const { findings } = local.review({ operation: 'CREATE', object: pod }, state, DEFAULT_POLICY);
    expect(findings.filter((f) => f.message.includes('review budget of 200000 steps'))).toHaveLength(20);
    await app.close();
    await plain.app.close();
  });

  it.each([
    ['warn', true],
    ['deny', false],
  ] as const)(
    'past the deadline scripts are unknown (unknownNodeWrites %s → allowed %s), never cached',
    async (unknownNodeWrites, allowed) => {
      const { app, analyzer, tasks } = await appWithPool(1, { ...DEFAULT_POLICY, unknownNodeWrites });
      const pod = heavyPod(40, { hostNetwork: true });
      const res = await post(app, '/validate', review('late', pod));
      expect(res.body.response.allowed).toBe(allowed);
      const text = JSON.stringify(res.body.response);
      // Warnings are wrapped at 120 characters; the denial holds the reason whole.
      expect(text).toContain(allowed ? 'the review deadline of 1 ms' : deadlineReason(1));
      expectUncached(analyzer, pod);
      // What portguard_script_pool_tasks_total{outcome="deadline"} counts.
      expect(tasks).toEqual(['deadline']);
      await app.close();
    },
  );
});

function expectUncached(analyzer: ScriptAnalyzer, pod: unknown) {
  const jobs = scriptJobs(viewOf(pod)!, undefined, REVIEW_BUDGET_DEFAULTS);
  expect(jobs.length).toBe(40);
  for (const job of jobs) expect(analyzer.cached(job.key)).toBeUndefined();
}
