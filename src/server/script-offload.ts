/**
 * Runs a request's script analyses on a small pool of worker threads (piscina) before the
 * synchronous review, so one object full of heavy scripts cannot hold the event loop while
 * /healthz and other reviews wait. The review then answers from these results (and the
 * main analyzer's cache) and never parses on this thread what the pool was asked about.
 *
 * The deadline is the one wall-clock element of a review: past it, the scripts the pool has
 * not answered are unknown for this request only (never cached), and the policy for unknown
 * node writes decides. The task is aborted, which stops its worker thread mid-analysis;
 * piscina starts a fresh one, so the thread is free again for the next request.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ConfigMapData } from '../core/configmap-inputs.js';
import type { ObjectView } from '../core/object-view.js';
import { type ReviewBudget, scriptJobs } from '../core/script-jobs.js';
import type { CountedAnalysis, ScriptAnalyzer } from '../shell/index.js';
import type { PoolJob, PoolResult, PoolTask } from './script-pool-worker.js';

export interface ScriptOffload {
  /**
   * Analyses for the scripts of `views` (the object, and the old object on UPDATE), by job
   * key, for `ReviewInput.scriptAnalyses`; undefined when the pod has no script to analyse.
   */
  prepare(
    views: readonly ObjectView[],
    configMaps?: ConfigMapData,
  ): Promise<Map<string, CountedAnalysis> | undefined>;
  close(): Promise<void>;
}

export interface ScriptOffloadOptions {
  /** The reviewer's analyzer: its cache is checked first and receives every final result. */
  analyzer: ScriptAnalyzer;
  /** Must be the reviewer's budget, or the review asks for keys the pool did not fill. */
  budget: ReviewBudget;
  threads: number;
  /** Wall-clock limit for a request's pool task, ms (queueing included). */
  deadlineMs: number;
  /** The worker module; tests point it at the compiled one (vitest runs .ts sources). */
  workerUrl?: URL;
  /** Told how each pool task ended, for the metric of reviews that hit the deadline. */
  onTask?: (outcome: 'done' | 'deadline' | 'failed') => void;
}

/** Compiled beside this module (dist/src/server/script-pool-worker.js). */
const WORKER_URL = new URL('./script-pool-worker.js', import.meta.url);

/** False when running from the TypeScript sources, which a worker thread cannot load. */
export function scriptWorkerAvailable(url: URL = WORKER_URL): boolean {
  return existsSync(fileURLToPath(url));
}

export function deadlineReason(deadlineMs: number): string {
  return `script analysis did not finish within the review deadline of ${deadlineMs} ms`;
}

class DeadlineReached extends Error {}

/** Old-space limit of each pool thread, MiB (the main thread's is NODE_OPTIONS' 128). */
export const POOL_WORKER_HEAP_MB = 48;

function unknownFor(keys: Iterable<string>, reason: string): Map<string, CountedAnalysis> {
  const out = new Map<string, CountedAnalysis>();
  // Not final: an answer that depends on the moment must never enter a cache.
  for (const key of keys) out.set(key, { analysis: { writes: [], unknown: reason }, steps: 0, final: false });
  return out;
}

export function createScriptOffload(opts: ScriptOffloadOptions): ScriptOffload {
  const threads = Math.max(1, opts.threads);
  const pool = new Piscina<PoolTask, PoolResult>({
    filename: (opts.workerUrl ?? WORKER_URL).href,
    minThreads: threads,
    maxThreads: threads,
    // Threads stay up: each one loads the wasm grammar once.
    idleTimeout: Number.POSITIVE_INFINITY,
    // A worker's heap holds one request's scripts and results; its own small limit keeps the
    // pool's share of the pod's memory bounded. A worker that hits it dies, its task fails,
    // and those scripts are unknown (never clean); piscina starts a new thread.
    resourceLimits: { maxOldGenerationSizeMb: POOL_WORKER_HEAP_MB, maxYoungGenerationSizeMb: 4 },
  });

  return {
    async prepare(views, configMaps) {
      const given = new Map<string, CountedAnalysis>();
      const lists: PoolJob[][] = [];
      const sent = new Set<string>();
      for (const view of views) {
        const list: PoolJob[] = [];
        for (const { ref: _ref, ...job } of scriptJobs(view, configMaps, opts.budget)) {
          if (job.fixed || given.has(job.key) || sent.has(job.key)) continue;
          // Cached ones are handed over too, so an eviction before the review cannot make it parse here.
          const hit = opts.analyzer.cached(job.key);
          if (hit) given.set(job.key, hit);
          else {
            sent.add(job.key);
            list.push(job);
          }
        }
        if (list.length > 0) lists.push(list);
      }
      if (sent.size === 0) return given.size > 0 ? given : undefined;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DeadlineReached()), opts.deadlineMs);
      try {
        const results = await pool.run(
          { lists, totalSteps: opts.budget.totalSteps },
          { signal: controller.signal },
        );
        for (const [key, counted] of results) {
          opts.analyzer.remember(key, counted);
          given.set(key, counted);
        }
        opts.onTask?.('done');
      } catch (err) {
        opts.onTask?.(controller.signal.aborted ? 'deadline' : 'failed');
        const reason = controller.signal.aborted
          ? deadlineReason(opts.deadlineMs)
          : `script analysis failed on a worker thread (${err instanceof Error ? err.name : typeof err})`;
        for (const [key, counted] of unknownFor(sent, reason)) given.set(key, counted);
      } finally {
        clearTimeout(timer);
      }
      return given;
    },
    close: () => pool.destroy(),
  };
}
