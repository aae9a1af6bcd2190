/**
 * Runs the real `./bin/portguard` for CLI tests. The binary loads dist/, which vitest's
 * globalSetup (test/support/compile-once.ts) compiles once before any test file starts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built, DIST_MAIN, ROOT } from '../support/dist-paths.js';

export { ROOT };
export const BIN = join(ROOT, 'bin', 'portguard');

/** Throws a clear error when dist/ was not compiled (the tests ran without the globalSetup). */
export async function ensureBuilt(): Promise<void> {
  built(DIST_MAIN);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the binary with args (cwd = repo root unless given), feeding `stdin` if set. */
export function runCli(
  args: string[],
  opts: { cwd?: string; stdin?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - start }));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });
}

export function mkTmp(prefix: string): string {
  const dir = join(tmpdir(), `${prefix}${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
