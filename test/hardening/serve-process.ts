/**
 * `portguard serve` as a child process on free loopback ports, for the tests that need the
 * real binary: signals, exit codes and the log lines it writes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './build.js';

export interface Served {
  child: ChildProcess;
  port: number;
  healthPort: number;
  stdout: string[];
  exited: Promise<{ code: number | null; at: number }>;
}

/** Starts `main serve` with static example ranges and waits for its "serving" log line. */
export async function spawnServe(
  main: string,
  certs: { cert: string; key: string },
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      main,
      'serve',
      '--ranges',
      path.join(repoRoot, 'examples/node-ranges.yaml'),
      '--port',
      '0',
      '--health-port',
      '0',
      '--host',
      '127.0.0.1',
      '--tls-cert',
      certs.cert,
      '--tls-key',
      certs.key,
      ...extraArgs,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  const stdout: string[] = [];
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const ports = await new Promise<{ port: number; healthPort: number }>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d) => {
      buf += String(d);
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl < 0) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        stdout.push(line);
        if (line.includes('portguard serving')) resolve(JSON.parse(line));
      }
    });
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err.slice(-2000)}`)));
  });
  return { child, port: ports.port, healthPort: ports.healthPort, stdout, exited };
}
