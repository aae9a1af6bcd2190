/**
 * Where the compiled tree lives for tests that run real processes. test/support/compile-once.ts
 * (vitest globalSetup) compiles it before any test file runs; `built` only checks.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = join(ROOT, 'dist');
/** The CLI entry bin/portguard loads. */
export const DIST_MAIN = join(DIST, 'src', 'main.js');
/** The benchmark harness (npm run bench). */
export const DIST_BENCH = join(DIST, 'bench', 'run.js');
export const BUILT_FILES = [DIST_MAIN, DIST_BENCH, join(DIST, 'soak', 'run.js')];

/** Returns `file` once it exists; a clear error when the test run skipped the globalSetup compile. */
export function built(file: string): string {
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: dist/ is compiled by vitest's globalSetup (test/support/compile-once.ts); run the tests through vitest.config.ts`,
    );
  }
  return file;
}
