/**
 * `--version`, `--help` and `check --help` must answer without loading any command's
 * implementation: the declarations in src/cli/commands/ import only commander and constants.
 * Deterministic: a module-resolution hook (module-log-hook.mjs) lists what the real binary
 * loaded, instead of timing it (bench/cli-startup.ts measures the time).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mkTmp, runCli } from './run-cli.js';

const tmp = mkTmp('portguard-lazy-');
beforeAll(ensureBuilt, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOOK = pathToFileURL(join(import.meta.dirname, 'module-log-hook.mjs')).href;
const HEAVY =
  /\/node_modules\/(@kubernetes\/client-node|fastify|web-tree-sitter|prom-client|pino|ajv|selfsigned)\//;
const IMPLEMENTATION = /\/dist\/src\/(cli\/[a-z-]+-command\.js|core\/|kube\/(?!defaults)|server\/|shell\/)/;

/** Runs the binary with the hook; resolves to its exit code and the module URLs it loaded. */
async function loaded(name: string, args: string[]) {
  const log = join(tmp, `${name}.log`);
  const r = await runCli(args, {
    cwd: tmp,
    env: { NODE_OPTIONS: `--import=${HOOK}`, PORTGUARD_MODULE_LOG: log },
  });
  return { code: r.code, stderr: r.stderr, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('fast paths load no command implementation', () => {
  it('--version, --help and check --help; serve does load fastify (the hook sees it)', async () => {
    const [version, help, checkHelp, serve] = await Promise.all([
      loaded('version', ['--version']),
      loaded('help', ['--help']),
      loaded('check-help', ['check', '--help']),
      // Fails on the missing certificate after loading the server: the control.
      loaded('serve', ['serve', '--ranges', 'none.yaml', '--tls-cert', 'none.crt', '--tls-key', 'none.key']),
    ]);
    for (const run of [version, help, checkHelp]) {
      expect(run.code, run.stderr).toBe(0);
      // The hook worked: the entry point and the program are in the list.
      expect(run.urls.some((u) => u.endsWith('/dist/src/cli/program.js'))).toBe(true);
      expect(run.urls.filter((u) => HEAVY.test(u))).toEqual([]);
      expect(run.urls.filter((u) => IMPLEMENTATION.test(u))).toEqual([]);
    }
    expect(serve.code).toBe(2);
    expect(serve.urls.some((u) => /\/node_modules\/fastify\//.test(u))).toBe(true);
    expect(serve.urls.some((u) => u.endsWith('/dist/src/cli/serve-command.js'))).toBe(true);
  }, 60_000);
});
