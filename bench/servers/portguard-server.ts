/**
 * `portguard serve` for the benchmark: the real `startServer` (buildApp, TLS options,
 * timeouts, certificate watcher), the real reviewer and script analyzer, the logger
 * configured as the serve command configures it, and the synthetic cluster loaded
 * through the informer path. Only the state source differs from production: it is
 * fed once from the synthetic objects instead of by watches.
 */
import { createServeLogger } from '../../src/cli/serve-command.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer } from '../../src/core/review.js';
import { createMetrics } from '../../src/server/metrics.js';
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
  const handle = await startServer({
    deps: {
      reviewer: createReviewer({ scripts: await createScriptAnalyzer() }),
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
  serveIpc(handle.port, loaded.loadMs, () => handle.close());
}

main().catch(failStartup);
