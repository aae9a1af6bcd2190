/**
 * Exit codes through the real binary: usage errors exit 2 from the root
 * and from the commands, `--version` exits 0. program.test.ts covers every command in-process;
 * these few spawns check that the binary maps them the same way.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './run-cli.js';

beforeAll(ensureBuilt, 120_000);

describe('portguard exit codes', () => {
  it('usage errors exit 2 with a message on stderr; --version exits 0', async () => {
    const [none, typo, serveFlag, checkOutput, version] = await Promise.all([
      runCli([]),
      runCli(['chek']),
      runCli(['serve', '--bogus']),
      runCli(['check', 'examples/', '--output', 'xml']),
      runCli(['--version']),
    ]);
    for (const r of [none, typo, serveFlag, checkOutput]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(none.stderr).toMatch(/^Usage: portguard \[options\] \[command\]\n(.*\n)*Commands:\n {2}check /);
    expect(typo.stderr).toMatch(/error: unknown command 'chek'\n\(Did you mean check\?\)/);
    expect(serveFlag.stderr).toMatch(/error: unknown option '--bogus'/);
    expect(checkOutput.stderr).toMatch(
      /argument 'xml' is invalid\. Allowed choices are text, json, sarif, junit/,
    );
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n', stderr: '' });
  }, 60_000);
});
