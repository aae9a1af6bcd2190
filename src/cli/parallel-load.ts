/**
 * Loads a large manifest tree on worker threads. On 10,000 objects, YAML parsing and
 * the analysis of never-seen pod scripts are most of `check`'s time and need no shared
 * state, so each worker takes the next file, parses it, analyses its pods' scripts and
 * sends back plain data (structured clone keeps what YAML can produce: Dates, binary,
 * NaN, shared aliases). The result is the sequential loader's, in the same order, with
 * the same errors for the files that could not be read.
 * Small inputs and stdin stay on the main thread, where a worker would only add start-up.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ManifestError } from '../input/manifest-error.js';
import { MAX_FILE_BYTES } from '../input/text-input.js';
import type { CountedAnalysis } from '../shell/index.js';
import { display, listManifestFiles } from './manifest-files.js';
import { type LoadedObject, type LoaderOptions, loadListedFiles } from './manifest-loader.js';

/**
 * What the main thread tells each worker once: every file, and a shared counter from
 * which each worker takes the index of its next file. Workers never wait for this thread
 * to hand out work, which it could not do while it parses the ranges (synchronously).
 */
export interface WorkerSetup {
  /** Analyse pod scripts too (only when the caller will build the analyzer from the results). */
  analyzeScripts: boolean;
  files: { file: string; name: string }[];
  maxBytes: number;
  /** One Int32 on a SharedArrayBuffer: the next file index to take, with `Atomics.add`. */
  next: Int32Array;
}

/** A worker's answer for one file. */
export type FileResult =
  | { index: number; objects: LoadedObject[]; analyses: [string, CountedAnalysis][] }
  | { index: number; error: { file: string; line: number | undefined; detail: string; column?: number } }
  | { index: number; fatal: string };

export interface ParallelOptions extends LoaderOptions {
  /** Worker threads to use; default: one per core, at most 4. 1 or less loads on this thread. */
  workers?: number;
  /** Below this many bytes in total, load on this thread (default 2 MiB). */
  minBytes?: number;
  analyzeScripts?: boolean;
  /** The worker module; tests point it at the compiled one, as vitest runs the .ts sources. */
  workerUrl?: URL;
  /** Stops the workers: `check` starts loading before it reads the ranges, which may be bad. */
  signal?: AbortSignal;
  /**
   * Called once the workers exist or this thread was chosen. `check` waits for it before
   * parsing the ranges: that parse is synchronous, and until it ends no worker could be
   * created (listing the files takes many turns of the event loop).
   */
  onStart?: () => void;
  /**
   * Objects as they become final, in listing order (each call continues the last one), so
   * `check` can index them while the workers are still parsing. A bad file delivers nothing;
   * the result's objects are the concatenation of the calls.
   */
  onObjects?: (objects: LoadedObject[]) => void;
}

export interface LoadResult {
  objects: LoadedObject[];
  /** Paths that could not be listed, then files that could not be read, in listing order. */
  errors: ManifestError[];
  /** Script analyses done by the workers, for `createScriptAnalyzer({ preloaded })`. */
  analyses: [string, CountedAnalysis][];
}

/** 2 MiB: about 1,700 objects; below that, two workers' start-up (~0.2 s) costs more than they save. */
export const PARALLEL_MIN_BYTES = 2 * 1024 * 1024;

/** The worker's module: compiled beside this one (dist/src/cli/check-worker.js). */
const WORKER_URL = new URL('./check-worker.js', import.meta.url);

/** Thrown when no worker could start (e.g. running from TypeScript sources); the caller loads in-process. */
class WorkersUnavailable extends Error {}

async function totalBytes(files: string[]): Promise<number> {
  let total = 0;
  for (const f of files) total += (await stat(f).catch(() => ({ size: 0 }))).size;
  return total;
}

/** Like `loadManifests`, on worker threads when the input is large enough to gain from them. */
export async function loadManifestsParallel(
  paths: string[],
  opts: ParallelOptions = {},
): Promise<LoadResult> {
  const cwd = opts.cwd ?? process.cwd();
  const listing = await listManifestFiles(paths, cwd);
  const { files } = listing;
  const workers = Math.min(opts.workers ?? Math.min(availableParallelism(), 4), files.length);
  let delivered = 0;
  const deliver = (objects: LoadedObject[]) => {
    delivered += objects.length;
    opts.onObjects?.(objects);
  };
  const sequential = async (): Promise<LoadResult> => {
    const { objects, errors } = await loadListedFiles(files, opts);
    // After workers that could not start, some objects may have been delivered already.
    deliver(objects.slice(delivered));
    return { objects, errors, analyses: [] };
  };
  const started = async (load: () => Promise<LoadResult>) => {
    const loading = load();
    opts.onStart?.();
    const result = await loading;
    return { ...result, errors: [...listing.errors, ...result.errors] };
  };
  if (workers < 2 || files.includes('-')) return started(sequential);
  if ((await totalBytes(files)) < (opts.minBytes ?? PARALLEL_MIN_BYTES)) return started(sequential);
  return started(() =>
    runWorkers(files, workers, cwd, opts, deliver).catch((err: unknown) => {
      if (err instanceof WorkersUnavailable) return sequential();
      throw err;
    }),
  );
}

function runWorkers(
  files: string[],
  count: number,
  cwd: string,
  opts: ParallelOptions,
  deliver: (objects: LoadedObject[]) => void,
): Promise<LoadResult> {
  const setup: WorkerSetup = {
    analyzeScripts: opts.analyzeScripts === true,
    files: files.map((file) => ({ file, name: display(file, cwd) })),
    maxBytes: opts.maxFileBytes ?? MAX_FILE_BYTES,
    next: new Int32Array(new SharedArrayBuffer(4)),
  };
  const results: (FileResult | undefined)[] = new Array(files.length);
  const pool: Worker[] = [];
  let done = 0;
  let exited = 0;
  /** Files before this index were delivered; it stops at the first file not loaded yet. */
  let flushed = 0;
  let answered = false;

  return new Promise<LoadResult>((resolve, reject) => {
    const finish = (fn: () => void) => {
      if (answered) return;
      answered = true;
      for (const w of pool) void w.terminate();
      fn();
    };
    const settle = () => {
      const objects: LoadedObject[] = [];
      const errors: ManifestError[] = [];
      const analyses: [string, CountedAnalysis][] = [];
      for (const r of results) {
        if (!r) continue;
        if ('fatal' in r) return finish(() => reject(new Error(`check worker failed: ${r.fatal}`)));
        if ('error' in r) {
          const { file, line, detail, column } = r.error;
          errors.push(new ManifestError(file, line, detail, column));
          continue;
        }
        for (const o of r.objects) objects.push(o);
        for (const a of r.analyses) analyses.push(a);
      }
      finish(() => resolve({ objects, errors, analyses }));
    };
    if (opts.signal?.aborted) return finish(() => reject(opts.signal?.reason));
    opts.signal?.addEventListener('abort', () => finish(() => reject(opts.signal?.reason)), { once: true });
    for (let i = 0; i < count; i++) {
      let w: Worker;
      try {
        w = new Worker(opts.workerUrl ?? WORKER_URL, { workerData: setup });
      } catch (err) {
        return finish(() => reject(new WorkersUnavailable(String(err))));
      }
      pool.push(w);
      let started = false;
      w.on('message', (r: FileResult) => {
        started = true;
        results[r.index] = r;
        try {
          for (let f = results[flushed]; f && !('fatal' in f); f = results[flushed]) {
            flushed++;
            if ('objects' in f) deliver(f.objects);
          }
        } catch (err) {
          // A throwing listener must fail the load, not crash the process from an event handler.
          return finish(() => reject(err));
        }
        done++;
        if (done === files.length) settle();
      });
      w.on('error', (err) => {
        // A worker that never answered could not load its module: fall back to this thread.
        finish(() => reject(started ? err : new WorkersUnavailable(err.message)));
      });
      w.on('exit', (code) => {
        exited++;
        // 0 means the worker found no file left to take; the others are loading the rest.
        if (code === 0 && exited < pool.length) return;
        if (!answered) finish(() => reject(new Error(`check worker exited with code ${code}`)));
      });
    }
  });
}
