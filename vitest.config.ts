import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ for the tests that run real processes, compiled once before any file starts.
    globalSetup: ['test/support/compile-once.ts'],
    // Generous: CPU-heavy property tests take several times longer on a loaded machine, and a
    // timeout is only where a hang is declared (no test asserts elapsed time).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Measured on the 2-core CI box (load ~11, 52 files of core/rules/server/manifests, two
    // workers): threads 194 s against forks 292 s, mostly module loading; forks without
    // isolation was faster still but broke tests that rely on fresh module state.
    pool: 'threads',
    // vitest's default is one worker per core less one: a single worker on 2 cores, which
    // leaves the second core idle while a test waits on a child process or a socket. Three
    // workers timed out CPU-heavy property tests on a loaded machine; two did not.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
