/**
 * Runs the real `./bin/portguard` for CLI tests. The binary loads dist/, so the first
 * caller compiles once when dist is older than the sources; a lock directory keeps
 * parallel test files from compiling over each other.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'portguard');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'check.js');
const LOCK = join(tmpdir(), `portguard-build-${Buffer.from(ROOT).toString('hex').slice(-24)}.lock`);

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  return existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource(join(ROOT, 'src'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Compiles with tsconfig.build.json unless dist is up to date. */
export async function ensureBuilt(): Promise<void> {
  while (!isFresh()) {
    try {
      mkdirSync(LOCK);
    } catch {
      // Someone else is compiling; a lock older than 2 minutes is left over from a crash.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 120_000) rmdirSync(LOCK);
      await sleep(200);
      continue;
    }
    try {
      if (!isFresh()) {
        // Other engineers' files may not typecheck mid-work; tsc still emits, so judge by the output.
        spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
        if (!existsSync(BUILT)) throw new Error('build failed: dist/src/cli/check.js missing');
      }
    } finally {
      rmdirSync(LOCK);
    }
    return;
  }
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
