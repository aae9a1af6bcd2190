import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// docker build cannot run in CI here, so these pin the properties the manifests rely on.
const root = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(resolve(root, '.dockerignore'), 'utf8').split('\n');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('is multi-stage: builds with dev deps, ships a pruned tree', () => {
    expect(instructions.filter((l) => l.startsWith('FROM '))).toHaveLength(2);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs24-debian12/);
  });

  it('runs as the numeric non-root UID the manifests expect', () => {
    const users = instructions.filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toBe('USER 65532:65532');
  });

  it('serves by default but lets Kubernetes args choose the subcommand', () => {
    expect(instructions).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/bin/portguard"]');
    expect(instructions).toContain('CMD ["serve"]');
  });

  it('keeps keys, certs and local state out of the build context', () => {
    for (const entry of ['certs', '**/*.key', '**/*.pem', 'node_modules', 'dist', '.git', 'manifests']) {
      expect(dockerignore).toContain(entry);
    }
  });
});
