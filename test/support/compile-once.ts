/**
 * Vitest globalSetup: compiles tsconfig.bench.json (src, bench, soak, test/support) into
 * dist/ once, before any test file starts, for the tests that run real processes
 * (bin/portguard loads dist/src/main.js; the benchmark and soak harnesses run from dist/).
 * Compiling inside test files cost a tsc per file and raced over dist/.
 *
 * A stamp written after a compile lets the next run skip tsc while no input is newer;
 * deleting dist/ removes the stamp with it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_FILES, DIST, ROOT } from './dist-paths.js';

const STAMP = join(DIST, '.compiled-for-tests');
const INPUT_DIRS = ['src', 'bench', 'soak', join('test', 'support')];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.bench.json', 'package-lock.json'];

function newestInput(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestInput(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  if (!existsSync(STAMP) || !BUILT_FILES.every((f) => existsSync(f))) return false;
  const inputs = Math.max(
    ...INPUT_DIRS.map((d) => newestInput(join(ROOT, d))),
    ...INPUT_FILES.map((f) => statSync(join(ROOT, f)).mtimeMs),
  );
  return statSync(STAMP).mtimeMs >= inputs;
}

export default function compileOnce(): void {
  if (upToDate()) return;
  // Taken before tsc reads anything: an edit made during the compile leaves the stamp older.
  const started = new Date();
  const res = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.bench.json'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  // tsc emits even when a file has a type error (typecheck is its own CI step); the
  // process-level tests only need the output.
  const missing = BUILT_FILES.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `tsc -p tsconfig.bench.json did not produce ${missing.join(', ')}:\n${res.stdout}${res.stderr}`,
    );
  }
  writeFileSync(STAMP, '');
  utimesSync(STAMP, started, started);
}
