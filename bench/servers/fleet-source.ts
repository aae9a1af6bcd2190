/**
 * The fleet section's replica: the real `startClusterStateSource` (seven informers, the
 * report-object informer with its coalesced rebuilds) against the harness's fake
 * apiserver, with nothing else in the process. It answers status and memory questions
 * over IPC; see bench/fleet/source-child.ts.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startClusterStateSource } from '../../src/kube/cluster-state-source.js';
import { kubeConfigForServer } from '../../src/kube/load-kubeconfig.js';
import type { KubeLogger } from '../../src/kube/logger.js';
import {
  FLEET_CHILD_ENV,
  type FleetChildConfig,
  type FromFleetChild,
  type MemoryReport,
  type SourceStatus,
  type ToFleetChild,
} from '../fleet/source-child.js';

const silent: KubeLogger = { debug() {}, info() {}, warn() {}, error() {} };

function send(msg: FromFleetChild): void {
  process.send?.(msg);
}

function memory(gc: boolean): MemoryReport {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
  };
}

async function main(): Promise<void> {
  const raw = process.env[FLEET_CHILD_ENV];
  if (!raw) throw new Error(`${FLEET_CHILD_ENV} is not set; this script is started by the fleet section`);
  const cfg = JSON.parse(raw) as FleetChildConfig;
  const kubeConfig = kubeConfigForServer(cfg.apiserverUrl);
  const t0 = performance.now();
  const source = startClusterStateSource({
    kubeConfig,
    namespace: cfg.namespace,
    configMapName: cfg.configMapName,
    logger: silent,
  });
  let changes = 0;
  source.onChange(() => changes++);
  let eld = monitorEventLoopDelay({ resolution: 1 });
  const status = (): SourceStatus => {
    let withEvidence = 0;
    const nodes = source.getState().ranges.nodes;
    for (const n of nodes.values()) if (n.evidence) withEvidence++;
    return {
      reports: source.reportedNodes().length,
      nodesWithEvidence: withEvidence,
      nodes: nodes.size,
      changes,
      eldP99Ms: eld.count > 0 ? eld.percentile(99) / 1e6 : 0,
      eldMaxMs: eld.count > 0 ? eld.max / 1e6 : 0,
    };
  };
  const stop = () => source.stop().finally(() => process.exit(0));
  process.on('message', (msg: ToFleetChild) => {
    if (msg.type === 'status') send({ type: 'status', ...status() });
    else if (msg.type === 'memory') send({ type: 'memory', ...memory(msg.gc === true) });
    else if (msg.type === 'mark') {
      changes = 0;
      eld.disable();
      eld = monitorEventLoopDelay({ resolution: 1 });
      eld.enable();
      send({ type: 'marked' });
    } else if (msg.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  while (!source.isReady().ready) await new Promise((r) => setTimeout(r, 10));
  const readyMs = performance.now() - t0;
  send({ type: 'ready', readyMs, ...memory(true), ...status() });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
