/**
 * IPC messages between the harness and a server child. Servers run in their own process
 * so the load generator never shares (and distorts) their event loop.
 */
import type { SyntheticSizes } from '../synthetic.js';

export interface ChildConfig {
  certFile: string;
  keyFile: string;
  sizes: SyntheticSizes;
  seed: number;
}

export const CHILD_CONFIG_ENV = 'PORTGUARD_BENCH_CHILD';

export type ToChild = { type: 'memory'; gc?: boolean } | { type: 'stop' };

export interface MemoryReport {
  rssBytes: number;
  heapUsedBytes: number;
}

export type FromChild =
  | ({ type: 'ready'; port: number; loadMs: number } & MemoryReport)
  | ({ type: 'memory' } & MemoryReport)
  | { type: 'error'; message: string };

export function readChildConfig(): ChildConfig {
  const raw = process.env[CHILD_CONFIG_ENV];
  if (!raw) throw new Error(`${CHILD_CONFIG_ENV} is not set; this script is started by bench/run.ts`);
  return JSON.parse(raw) as ChildConfig;
}

function memory(gc: boolean): MemoryReport {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
}

/** Answers the harness's IPC requests; `stop` runs the server's own close. */
export function serveIpc(port: number, loadMs: number, stop: () => Promise<void>): void {
  const send = (msg: FromChild) => process.send?.(msg);
  process.on('message', (msg: ToChild) => {
    if (msg.type === 'memory') send({ type: 'memory', ...memory(msg.gc === true) });
    else if (msg.type === 'stop') void stop().finally(() => process.exit(0));
  });
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  send({ type: 'ready', port, loadMs, ...memory(true) });
}

/** Reports a startup failure to the harness instead of dying silently. */
export function failStartup(err: unknown): never {
  process.send?.({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
