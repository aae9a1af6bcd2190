/** Where the harness finds the repo, the compiled children and the captured fixtures. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root: the nearest parent with package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** Compiled JS of a bench module, for child processes (children cannot run TypeScript). */
export function compiled(relative: string): string {
  return join(repoRoot(), 'dist', 'bench', relative.replace(/\.ts$/, '.js'));
}

/** The captured AdmissionReviews (see ../shared/fixtures/README.md), when present. */
export function fixturesDir(): string | undefined {
  const candidates = [
    process.env.PORTGUARD_FIXTURES,
    resolve(repoRoot(), '..', 'shared', 'fixtures', 'admission'),
    join(repoRoot(), 'test', 'fixtures', 'admission'),
  ];
  return candidates.find((c): c is string => c !== undefined && existsSync(c));
}
