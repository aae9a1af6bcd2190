/** Parent side of a server child: start it, ask for its memory, stop it. */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  CHILD_CONFIG_ENV,
  type ChildConfig,
  type FromChild,
  type MemoryReport,
} from './servers/child-protocol.js';

export interface ServerChild {
  name: string;
  port: number;
  pid: number;
  loadMs: number;
  ready: MemoryReport;
  memory(gc?: boolean): Promise<MemoryReport>;
  stop(): Promise<void>;
}

export class ChildStartError extends Error {
  override name = 'ChildStartError';
}

/** Forks `script` (compiled JS) with `--expose-gc` and waits for its ready message. */
export async function startChild(name: string, script: string, config: ChildConfig): Promise<ServerChild> {
  if (!existsSync(script)) throw new ChildStartError(`${script} not found; run "npm run build" first`);
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, [CHILD_CONFIG_ENV]: JSON.stringify(config) },
    execArgv: ['--expose-gc'],
    // Logs of the server under test go nowhere, as a container's stdout would go to a collector.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Extract<FromChild, { type: 'ready' }>>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new ChildStartError(`${name} exited with ${code} before ready`));
    child.once('exit', onExit);
    child.once('message', (msg: FromChild) => {
      child.off('exit', onExit);
      if (msg.type === 'ready') resolve(msg);
      else
        reject(
          new ChildStartError(`${name} failed to start: ${msg.type === 'error' ? msg.message : msg.type}`),
        );
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    port: ready.port,
    pid: child.pid ?? 0,
    loadMs: ready.loadMs,
    ready: { rssBytes: ready.rssBytes, heapUsedBytes: ready.heapUsedBytes },
    memory(gc = false) {
      return new Promise((resolve) => {
        const onMsg = (msg: FromChild) => {
          if (msg.type !== 'memory') return;
          child.off('message', onMsg);
          resolve({ rssBytes: msg.rssBytes, heapUsedBytes: msg.heapUsedBytes });
        };
        child.on('message', onMsg);
        child.send({ type: 'memory', gc });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
