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

/** Every module specifier, relative or a package (`node:fs`, `fastify`). */
function allSpecifiers(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** The layers with I/O: the pure policy core and the rules import none of them. */
const IO_LAYERS = ['cli', 'server', 'kube', 'audit', 'reporter', 'tls'].map((d) => join(SRC, d));

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

  it('the core and the rules do no I/O: no node: module, no adapter layer', () => {
    const pure = sources(SRC).filter(
      (f) => f.startsWith(`${join(SRC, 'core')}/`) || f.startsWith(`${join(SRC, 'rules')}/`),
    );
    expect(pure.length).toBeGreaterThan(20);
    const offenders = pure.flatMap((file) =>
      allSpecifiers(readFileSync(file, 'utf8'))
        .filter(
          (s) =>
            s.startsWith('node:') ||
            (s.startsWith('.') && IO_LAYERS.some((layer) => resolve(file, '..', s).startsWith(`${layer}/`))),
        )
        .map((s) => `${relative(SRC, file)} imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
