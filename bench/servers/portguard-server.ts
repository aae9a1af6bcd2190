/**
 * `portguard serve` for the benchmark: the real `startServer` (buildApp, TLS options,
 * timeouts, certificate watcher), the real reviewer and script analyzer, the logger
 * configured as the serve command configures it, and the synthetic cluster loaded
 * through the informer path. Only the state source differs from production: it is
 * fed once from the synthetic objects instead of by watches.
 */
import { createServeLogger, DEFAULT_SCRIPT_THREADS } from '../../src/cli/serve-command.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer } from '../../src/core/review.js';
import { REVIEW_BUDGET_DEFAULTS } from '../../src/core/script-jobs.js';
import { createMetrics } from '../../src/server/metrics.js';
import { createScriptOffload } from '../../src/server/script-offload.js';
import { startServer } from '../../src/server/serve.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { loadSyntheticState } from '../load-state.js';
import { generateCluster } from '../synthetic.js';
import { failStartup, readChildConfig, serveIpc } from './child-protocol.js';

async function main(): Promise<void> {
  const cfg = readChildConfig();
  const loaded = loadSyntheticState(generateCluster(cfg.sizes, cfg.seed));
  const state = loaded.state;
  const logger = createServeLogger();
  const scripts = await createScriptAnalyzer();
  // As `serve` runs it: one script thread and a 3 s deadline; BENCH_SCRIPT_THREADS=0 compares without.
  const threads = Number(process.env['BENCH_SCRIPT_THREADS'] ?? DEFAULT_SCRIPT_THREADS);
  const scriptOffload =
    threads > 0
      ? createScriptOffload({ analyzer: scripts, budget: REVIEW_BUDGET_DEFAULTS, threads, deadlineMs: 3000 })
      : undefined;
  const handle = await startServer({
    deps: {
      reviewer: createReviewer({ scripts, budget: REVIEW_BUDGET_DEFAULTS }),
      ...(scriptOffload ? { scriptOffload } : {}),
      getState: () => state,
      getPolicy: () => DEFAULT_POLICY,
      isReady: () => ({ ready: true, detail: { source: 'synthetic' } }),
      metrics: createMetrics(),
      logger,
    },
    port: 0,
    host: '127.0.0.1',
    tls: { certFile: cfg.certFile, keyFile: cfg.keyFile },
  });
  serveIpc(handle.port, loaded.loadMs, async () => {
    await handle.close();
    await scriptOffload?.close();
  });
}

main().catch(failStartup);
