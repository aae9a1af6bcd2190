/**
 * Compiles the CLI once for the process-level tests and the soak run, into a private
 * directory under node_modules/.cache so it never races other tests that use dist/ and
 * still resolves the project's dependencies. tsc emits even when a file another engineer
 * is editing has a type error; the tests only need main.js to exist.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Builds (once per process) and returns the path of the compiled `main.js`. */
let built: string | undefined;
export function buildCli(): string {
  if (built) return built;
  const outDir = path.join(repoRoot, 'node_modules/.cache/portguard-hardening');
  const res = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  const main = path.join(outDir, 'src/main.js');
  if (!existsSync(main)) throw new Error(`tsc did not produce ${main}: ${res.stdout}${res.stderr}`);
  built = main;
  return main;
}
