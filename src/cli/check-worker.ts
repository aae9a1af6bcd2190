/**
 * Worker thread of `check` for large inputs (see parallel-load.ts): takes files one at a
 * time from the shared list, reads and parses each, and analyses the scripts of the pods
 * it found, so YAML parsing and tree-sitter, most of a large run, use every core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { viewOf } from '../core/object-view.js';
import { REVIEW_BUDGET_DEFAULTS, scriptJobs } from '../core/script-jobs.js';
import { ManifestError } from '../input/manifest-error.js';
import { type CountedAnalysis, createScriptAnalyzer } from '../shell/index.js';
import { type LoadedObject, loadManifestFile } from './manifest-loader.js';
import type { FileResult, WorkerSetup } from './parallel-load.js';

const port = parentPort;
if (!port) throw new Error('check-worker.js runs only as a worker thread');
const setup = workerData as WorkerSetup;
const scripts = setup.analyzeScripts ? await createScriptAnalyzer() : undefined;
/** Keys this worker sent already: templates repeat across objects, analyses need not. */
const sent = new Set<string>();

/** Analyses each container exactly as the review's rule context will ask for it. */
function analyse(objects: LoadedObject[]): [string, CountedAnalysis][] {
  if (!scripts) return [];
  const out: [string, CountedAnalysis][] = [];
  for (const { object } of objects) {
    const view = viewOf(object);
    if (!view) continue;
    // `check` reviews with the default budget and no ConfigMap data; the keys are the review's.
    for (const job of scriptJobs(view, undefined, REVIEW_BUDGET_DEFAULTS)) {
      if (job.fixed || sent.has(job.key)) continue;
      sent.add(job.key);
      const counted = scripts.countContainer(job.command, job.args, job.env, job.files, job.maxSteps);
      // Step limits give the same unknown anywhere, but one cut by the wall-clock safety net
      // (two workers share the cores) would not: the main thread redoes every unknown.
      if (counted.analysis.unknown === undefined) out.push([job.key, counted]);
    }
  }
  return out;
}

async function load(index: number): Promise<FileResult> {
  const { file, name } = setup.files[index]!;
  try {
    const objects = await loadManifestFile(file, name, setup.maxBytes);
    return { index, objects, analyses: analyse(objects) };
  } catch (err) {
    return err instanceof ManifestError
      ? {
          index,
          error: {
            file: err.file,
            line: err.line,
            detail: err.detail,
            ...(err.column !== undefined ? { column: err.column } : {}),
          },
        }
      : { index, fatal: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

// When no file is left the module ends and the worker exits with 0; its answers reach the
// main thread before the exit does.
for (;;) {
  const index = Atomics.add(setup.next, 0, 1);
  if (index >= setup.files.length) break;
  port.postMessage(await load(index));
}
