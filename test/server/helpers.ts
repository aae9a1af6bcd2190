/**
 * Shared setup for the server tests: the golden fixtures, a ranges state, and an app
 * built with real core + analyzer and a silent-but-recording logger.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { type ClusterState, emptyState } from '../../src/core/state.js';
import { applyConfigMap, composeRanges } from '../../src/kube/ranges-model.js';
import { buildApp } from '../../src/server/app.js';
import type { AppDeps } from '../../src/server/deps.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { NodePortReservations } from '../../src/server/nodeport-reservations.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtureDir = path.resolve(repoRoot, '../shared/fixtures/admission');

export function fixtureNames(): string[] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures are raw AdmissionReview JSON.
export function loadFixture(name: string): any {
  return JSON.parse(readFileSync(path.join(fixtureDir, `${name}.json`), 'utf8'));
}

/** worker-1 widened to "1024 65535" with no reserved ports, the seed-000 node. */
export const WIDENED = '{"ipLocalPortRange": "1024 65535"}';

/**
 * The webhook's state once the Node informer has synced: `nodes` are every node, each
 * entry's `labels` standing in for its Node's (complete) labels, joined the way the
 * informer joins them.
 */
export function stateWith(nodes: Record<string, string>, objects: unknown[] = []): ClusterState {
  const data: Record<string, string> = {};
  for (const [name, entry] of Object.entries(nodes)) data[`node.${name}`] = entry;
  const parsed = applyConfigMap(data);
  if (parsed.errors.length > 0) throw new Error(JSON.stringify(parsed.errors));
  const live = new Map([...parsed.nodes.values()].map((n) => [n.name, n.labels]));
  const state = emptyState(composeRanges(parsed, live, 'test'));
  state.nodesComplete = true;
  for (const o of objects) state.inventory.upsert(o);
  return state;
}

export function nodePortService(name: string, nodePort: number, namespace = 'other') {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort }] },
  };
}

let reviewer: Promise<Reviewer> | undefined;
export function sharedReviewer(): Promise<Reviewer> {
  // Imported lazily: tests that inject their own reviewer do not load the wasm parser.
  reviewer ??= import('../../src/shell/index.js')
    .then(({ createScriptAnalyzer }) => createScriptAnalyzer())
    .then((scripts) => createReviewer({ scripts }));
  return reviewer;
}

/** Captures log lines so tests can assert what is (not) logged. */
export function recordingLogger(level = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

export interface TestAppOptions {
  state?: ClusterState;
  policy?: Policy;
  namespaceLabels?: Record<string, Record<string, string>>;
  reviewer?: Reviewer;
  random?: () => number;
  nodePortReservations?: NodePortReservations;
  /** Logger level (default debug, so every decision is recorded). */
  logLevel?: string;
  configMapLookup?: AppDeps['configMapLookup'];
  scriptOffload?: AppDeps['scriptOffload'];
}

export async function testApp(opts: TestAppOptions = {}) {
  const { logger, lines } = recordingLogger(opts.logLevel);
  const metrics = createMetrics();
  const state = opts.state ?? stateWith({ 'worker-1': WIDENED });
  const deps: AppDeps = {
    reviewer: opts.reviewer ?? (await sharedReviewer()),
    getState: () => state,
    getPolicy: () => opts.policy ?? DEFAULT_POLICY,
    isReady: () => ({ ready: true, detail: { source: 'test' } }),
    metrics,
    logger,
    random: opts.random ?? (() => 0.5),
    namespaceLabels: (ns) => opts.namespaceLabels?.[ns],
    ...(opts.nodePortReservations ? { nodePortReservations: opts.nodePortReservations } : {}),
    ...(opts.configMapLookup ? { configMapLookup: opts.configMapLookup } : {}),
    ...(opts.scriptOffload ? { scriptOffload: opts.scriptOffload } : {}),
  };
  const app = buildApp(deps);
  await app.ready();
  return { app, deps, metrics, lines, state };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON.
export type Json = any;

export async function post(app: Awaited<ReturnType<typeof testApp>>['app'], url: string, body: unknown) {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  return { status: res.statusCode, body: res.json() as Json };
}

/** Which endpoint a fixture was captured for, from its file name. */
export function endpointOf(fixture: string): '/validate' | '/mutate' {
  return fixture.startsWith('mutate-') ? '/mutate' : '/validate';
}

export function decodePatch(response: Json): Json[] {
  return response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : [];
}

/**
 * Deps for a real server (startServer) on the test state: worker-1 widened, the default
 * policy, always ready. Tests of the transport only vary the logger.
 */
export async function serverDeps(logger = recordingLogger().logger): Promise<AppDeps> {
  return {
    reviewer: await sharedReviewer(),
    getState: () => stateWith({ 'worker-1': WIDENED }),
    getPolicy: () => DEFAULT_POLICY,
    isReady: () => ({ ready: true, detail: {} }),
    metrics: createMetrics(),
    logger,
  };
}
