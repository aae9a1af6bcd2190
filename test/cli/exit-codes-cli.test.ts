/**
 * Exit codes, `rules` and `explain` through the real binary: usage errors exit 2 from the root
 * and from the commands, `--version` exits 0. program.test.ts covers every command in-process;
 * these few spawns check that the binary maps them the same way.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './run-cli.js';

beforeAll(ensureBuilt, 120_000);

describe('portguard exit codes', () => {
  it('usage errors exit 2 with a message on stderr; --version exits 0', async () => {
    const [none, typo, serveFlag, checkOutput, explainTypo, version] = await Promise.all([
      runCli([]),
      runCli(['chek']),
      runCli(['serve', '--bogus']),
      runCli(['check', 'examples/', '--output', 'xml']),
      runCli(['explain', 'nodeport-hostport-colision']),
      runCli(['--version']),
    ]);
    for (const r of [none, typo, serveFlag, checkOutput, explainTypo]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(none.stderr).toMatch(/^Usage: portguard \[options\] \[command\]\n(.*\n)*Commands:\n {2}check /);
    expect(typo.stderr).toMatch(/error: unknown command 'chek'\n\(Did you mean check\?\)/);
    expect(serveFlag.stderr).toMatch(/error: unknown option '--bogus'/);
    expect(checkOutput.stderr).toMatch(
      /argument 'xml' is invalid\. Allowed choices are text, json, sarif, junit/,
    );
    expect(explainTypo.stderr).toMatch(
      /unknown rule "nodeport-hostport-colision" \(did you mean nodeport-hostport-collision\?\)/,
    );
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n', stderr: '' });
  }, 60_000);

  it('rules lists every rule (-o json), and explain prints one', async () => {
    const [rules, explain] = await Promise.all([
      runCli(['rules', '-o', 'json']),
      runCli(['explain', 'hostnetwork-port-in-ephemeral-range']),
    ]);
    expect(rules.code, rules.stderr).toBe(0);
    const listed = JSON.parse(rules.stdout).rules as { id: string; severity: string; summary: string }[];
    expect(listed.map((r) => r.id)).toContain('nodeport-in-ephemeral-range');
    expect(listed.find((r) => r.id === 'hostnetwork-port-in-ephemeral-range')).toMatchObject({
      severity: 'warn',
    });
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toMatch(
      /^hostnetwork-port-in-ephemeral-range \(warn; .*\)\n(.*\n)*What it checks\n(.*\n)*Why it matters\n(.*\n)*How to fix it\n(.*\n)*Example\n/,
    );
  }, 60_000);
});
