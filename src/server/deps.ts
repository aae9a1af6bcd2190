/**
 * What the webhook app needs from the outside world, injected by `serve` (or a test):
 * the reviewer, the current cluster state and policy, readiness, metrics and a logger.
 * The app itself reads no env, files or cluster.
 */
import type { Logger } from 'pino';
import type { Random } from '../core/mutate.js';
import type { Policy } from '../core/policy.js';
import type { Reviewer } from '../core/review.js';
import type { ClusterState } from '../core/state.js';
import type { ConfigMapLookup } from '../kube/configmap-lookup.js';
import type { Metrics } from './metrics.js';
import type { NodePortReservations } from './nodeport-reservations.js';
import type { ScriptOffload } from './script-offload.js';

/** Readiness as reported on /readyz; `detail` is JSON and must hold no secrets. */
export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown>;
}

export interface AppDeps {
  reviewer: Reviewer;
  /** Called once per review, so a hot-reloaded state is picked up on the next request. */
  getState(): ClusterState;
  getPolicy(): Policy;
  isReady(): Readiness;
  metrics: Metrics;
  logger: Logger;
  /** Randomness for nodePort picks; injected so tests are deterministic. */
  random?: Random;
  /** Node ports assigned but not yet seen by the informer; absent, each pick sees the inventory only. */
  nodePortReservations?: NodePortReservations;
  /** Labels of a namespace (for the per-namespace mode label), when cluster state knows them. */
  namespaceLabels?(namespace: string): Record<string, string> | undefined;
  /**
   * Reads the ConfigMaps a node-reaching pod's scripts use; absent (no cluster, or
   * `--no-configmap-lookup`), such scripts are reported as unknown.
   */
  configMapLookup?: ConfigMapLookup;
  /**
   * Runs script analyses on worker threads before a validation; absent, the review
   * analyses on the event loop (tests, `--script-threads 0`).
   */
  scriptOffload?: ScriptOffload;
  /** TLS options for fastify's `https`; absent means plaintext (tests, health port). */
  https?: object;
}
