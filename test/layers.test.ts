/**
 * The CLI may import the library; nothing outside src/cli imports src/cli (the server, the
 * audit and the core must not load CLI modules). src/main.ts is the program's entry point,
 * which starts the CLI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');
const CLI = join(SRC, 'cli');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative module specifiers in static imports, exports and dynamic imports. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('layers', () => {
  const outside = sources(SRC).filter((f) => !f.startsWith(`${CLI}/`) && f !== join(SRC, 'main.ts'));

  it('finds the library sources to check', () => {
    expect(outside.length).toBeGreaterThan(50);
  });

  it('no module outside src/cli imports src/cli', () => {
    const offenders = outside.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter((s) => resolve(file, '..', s).startsWith(`${CLI}/`))
        .map((s) => `${relative(SRC, file)} imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
