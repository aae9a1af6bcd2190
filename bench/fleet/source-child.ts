/**
 * Parent side of the fleet section's server child (bench/servers/fleet-source.ts): one
 * replica's `startClusterStateSource` in its own process, so its memory is measured
 * alone (not with the fake apiserver's store and the reporters) and its event loop is its
 * own, as in a real replica.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';

/** `process.memoryUsage()` of the replica, in bytes. */
export interface MemoryReport {
  rssBytes: number;
  heapUsedBytes: number;
  /** V8 heap committed: RSS beyond it is native memory (buffers, malloc arenas). */
  heapTotalBytes: number;
  externalBytes: number;
}

export const FLEET_CHILD_ENV = 'PORTGUARD_BENCH_FLEET';

export interface FleetChildConfig {
  apiserverUrl: string;
  namespace: string;
  configMapName: string;
}

/** What the child knows about the node data it holds. */
export interface SourceStatus {
  /** Report objects the source holds (`reportedNodes()`). */
  reports: number;
  /** Nodes in the served state with measured evidence, i.e. whose report has been applied. */
  nodesWithEvidence: number;
  nodes: number;
  /** Changes the source announced (`onChange`) since the mark. */
  changes: number;
  /** Event-loop delay since the mark, in ms. */
  eldP99Ms: number;
  eldMaxMs: number;
}

export type ToFleetChild =
  | { type: 'status' }
  | { type: 'mark' }
  | { type: 'memory'; gc?: boolean }
  | { type: 'stop' };

export type FromFleetChild =
  | ({ type: 'ready'; readyMs: number } & MemoryReport & SourceStatus)
  | ({ type: 'status' } & SourceStatus)
  | ({ type: 'memory' } & MemoryReport)
  | { type: 'marked' }
  | { type: 'error'; message: string };

export interface SourceChild {
  readyMs: number;
  ready: MemoryReport & SourceStatus;
  status(): Promise<SourceStatus>;
  /** Resets the change count and the event-loop histogram. */
  mark(): Promise<void>;
  memory(gc?: boolean): Promise<MemoryReport>;
  stop(): Promise<void>;
}

/** Forks the compiled child and waits until its source is ready (every informer listed). */
export async function startSourceChild(
  script: string,
  config: FleetChildConfig,
  timeoutMs: number,
): Promise<SourceChild> {
  if (!existsSync(script)) throw new Error(`${script} not found; run "npm run build" first`);
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, [FLEET_CHILD_ENV]: JSON.stringify(config) },
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = <T extends FromFleetChild['type']>(type: T) =>
    new Promise<Extract<FromFleetChild, { type: T }>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`fleet source child exited with ${code}`));
      const onMsg = (msg: FromFleetChild) => {
        if (msg.type === 'error') {
          cleanup();
          reject(new Error(`fleet source child: ${msg.message}`));
        } else if (msg.type === type) {
          cleanup();
          resolve(msg as Extract<FromFleetChild, { type: T }>);
        }
      };
      const cleanup = () => {
        child.off('message', onMsg);
        child.off('exit', onExit);
      };
      child.on('message', onMsg);
      child.once('exit', onExit);
    });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.send({ type: 'stop' } satisfies ToFleetChild);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    next('ready'),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fleet source not ready after ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  clearTimeout(timer);
  const ask = <T extends FromFleetChild['type']>(msg: ToFleetChild, reply: T) => {
    const answer = next(reply);
    child.send(msg);
    return answer;
  };
  return {
    readyMs: ready.readyMs,
    ready,
    async status() {
      const { type: _, ...s } = await ask({ type: 'status' }, 'status');
      return s;
    },
    async mark() {
      await ask({ type: 'mark' }, 'marked');
    },
    async memory(gc = false) {
      const { type: _, ...m } = await ask({ type: 'memory', gc }, 'memory');
      return m;
    },
    stop,
  };
}
