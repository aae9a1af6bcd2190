/**
 * Worker thread of the webhook's script pool (script-offload.ts): loads the wasm grammar
 * once, then analyses one request's scripts per task, in review order, stopping where the
 * review's budget would (script-jobs.ts `spendBudget`), so a hostile object costs this
 * thread no more than the review could use.
 */
import { type ScriptJob, spendBudget } from '../core/script-jobs.js';
import { type CountedAnalysis, createScriptAnalyzer } from '../shell/index.js';

/** One object's scripts not yet in the main thread's cache, without their container refs. */
export type PoolJob = Omit<ScriptJob, 'ref'>;

export interface PoolTask {
  lists: PoolJob[][];
  totalSteps: number;
}

/** The analyses by job key; jobs past the budget are missing (the review will not ask for them). */
export type PoolResult = [string, CountedAnalysis][];

const analyzer = await createScriptAnalyzer();

export default function analyse(task: PoolTask): PoolResult {
  const out: PoolResult = [];
  for (const jobs of task.lists) {
    // Each list is one object's uncached scripts in review order, so the budget stops here
    // no later than the review itself would.
    spendBudget(jobs as ScriptJob[], task.totalSteps, (job) => {
      const counted = analyzer.countContainer(job.command, job.args, job.env, job.files, job.maxSteps);
      out.push([job.key, counted]);
      return counted;
    });
  }
  return out;
}
