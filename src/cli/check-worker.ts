/**
 * Worker thread of `check` for large inputs (see parallel-load.ts): takes files one at a
 * time from the shared list, reads and parses each, and analyses the scripts of the pods
 * it found, so YAML parsing and tree-sitter, most of a large run, use every core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { containersOf, viewOf } from '../core/object-view.js';
import { envOf } from '../core/rule-context.js';
import { containerCacheKey, createScriptAnalyzer, type ScriptAnalysis } from '../shell/index.js';
import { type LoadedObject, loadManifestFile, ManifestError } from './manifest-loader.js';
import type { FileResult, WorkerSetup } from './parallel-load.js';

const port = parentPort;
if (!port) throw new Error('check-worker.js runs only as a worker thread');
const setup = workerData as WorkerSetup;
const scripts = setup.analyzeScripts ? await createScriptAnalyzer() : undefined;
/** Keys this worker sent already: templates repeat across objects, analyses need not. */
const sent = new Set<string>();

const stringList = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.map((x) => String(x)) : undefined;

/** Analyses each container exactly as the review's rule context will ask for it. */
function analyse(objects: LoadedObject[]): [string, ScriptAnalysis][] {
  if (!scripts) return [];
  const out: [string, ScriptAnalysis][] = [];
  for (const { object } of objects) {
    const pod = viewOf(object)?.pod;
    if (!pod) continue;
    for (const { container } of containersOf(pod)) {
      const command = stringList(container.command);
      const args = stringList(container.args);
      const env = envOf(container);
      const key = containerCacheKey(command, args, env);
      if (sent.has(key)) continue;
      sent.add(key);
      const analysis = scripts.analyzeContainer(command, args, env);
      // Step limits give the same unknown anywhere, but one cut by the wall-clock safety net
      // (two workers share the cores) would not: the main thread redoes every unknown.
      if (analysis.unknown === undefined) out.push([key, analysis]);
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
      ? { index, error: { file: err.file, line: err.line, detail: err.detail } }
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
