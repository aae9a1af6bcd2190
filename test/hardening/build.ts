/**
 * The compiled CLI for the process-level tests and the soak run: dist/src/main.js, which
 * vitest's globalSetup (test/support/compile-once.ts) compiles once before any test file.
 */
import { built, DIST_MAIN, ROOT } from '../support/dist-paths.js';

export const repoRoot = ROOT;

/** Returns the path of the compiled `main.js`. */
export function buildCli(): string {
  return built(DIST_MAIN);
}
