/**
 * The program in-process (runProgram with captured output): usage errors exit 2 from the root
 * and from every command, help and version exit 0, and the declarations' defaults agree with
 * the library's. exit-codes-cli.test.ts runs a few of the same through the real binary.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NODE_PORT_RANGE } from '../../src/cli/commands/report-node.js';
import { DEFAULT_SCRIPT_THREADS as DECLARED_SCRIPT_THREADS } from '../../src/cli/commands/serve.js';
import { buildProgram, runProgram, VERSION } from '../../src/cli/program.js';
import { DEFAULT_SCRIPT_THREADS } from '../../src/cli/serve-command.js';
import { DEFAULT_NODE_PORT_RANGE as CORE_NODE_PORT_RANGE } from '../../src/core/node-ranges.js';
import { DEFAULT_RANGES_LOCATION } from '../../src/kube/read-cluster-ranges.js';

async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}

describe('usage errors exit 2', () => {
  it.each([
    ['no command: help on stderr', [], /Usage: portguard \[options\] \[command\]/],
    ['an unknown command, with a suggestion', ['chek'], /unknown command 'chek'\n\(Did you mean check\?\)/],
    ['an unknown root flag', ['--bogus'], /unknown option '--bogus'/],
    ['check: a bad --output', ['check', 'x.yaml', '--output', 'xml'], /argument 'xml' is invalid/],
    ['check: a bad -o', ['check', 'x.yaml', '-o', 'xml'], /Allowed choices are text, json, sarif, junit/],
    ['check: a bad --fail-on', ['check', 'x.yaml', '--fail-on', 'info'], /Allowed choices are deny, warn/],
    ['check: a flag without its value', ['check', 'x.yaml', '--ranges'], /argument missing/],
    ['serve: an unknown flag', ['serve', '--bogus'], /unknown option '--bogus'/],
    ['serve: a bad port', ['serve', '--port', 'http'], /invalid port http/],
    ['serve: a bad thread count', ['serve', '--script-threads', '99'], /invalid thread count 99/],
    ['dev: the required --kubeconfig missing', ['dev'], /required option '--kubeconfig <file>'/],
    ['audit: a bad -o', ['audit', '-o', 'yaml'], /Allowed choices are text, json, policyreport/],
    ['certs: an unknown flag', ['certs', '--bogus'], /unknown option/],
    ['report-node: an unknown flag', ['report-node', '--bogus'], /unknown option/],
    ['ranges without a subcommand: help on stderr', ['ranges'], /Usage: portguard ranges/],
    ['ranges export: an unknown flag', ['ranges', 'export', '--bogus'], /unknown option/],
    ['rules: a bad -o', ['rules', '-o', 'xml'], /Allowed choices are text, json/],
    ['rules: an extra argument', ['rules', 'nodeport'], /too many arguments/],
    ['explain: the rule missing', ['explain'], /missing required argument 'rule'/],
  ])('%s', async (_name, args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('help and version exit 0 on stdout', () => {
  it.each([
    ['--version', ['--version'], `${VERSION}\n`],
    ['-V', ['-V'], `${VERSION}\n`],
    [
      '--help',
      ['--help'],
      /Commands:\n {2}check \[options\] \[paths\.\.\.\](.*\n)* {2}rules \[options\](.*\n)* {2}explain <rule>/,
    ],
    ['help check', ['help', 'check'], /Usage: portguard check/],
    ['check --help', ['check', '--help'], /-o, --output <format>(.*\n)*.*--fail-on <level>/],
    ['audit --help', ['audit', '--help'], /-o, --output <format>/],
    ['ranges export --help', ['ranges', 'export', '--help'], /-o, --output <file>/],
  ])('%s', async (_name, args, out) => {
    const r = await run(...args);
    expect(r.code, r.stderr).toBe(0);
    if (typeof out === 'string') expect(r.stdout).toBe(out);
    else expect(r.stdout).toMatch(out);
    expect(r.stderr).toBe('');
  });
});

describe('declared defaults', () => {
  const defaults = (command: string) => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {} }, () => {});
    const cmd = program.commands.find((c) => c.name() === command);
    if (!cmd) throw new Error(`no command ${command}`);
    return Object.fromEntries(cmd.options.map((o) => [o.attributeName(), o.defaultValue]));
  };

  it('match the library constants they stand for', () => {
    expect(DEFAULT_NODE_PORT_RANGE).toBe(CORE_NODE_PORT_RANGE);
    expect(defaults('report-node')['nodePortRange']).toBe(CORE_NODE_PORT_RANGE);
    expect(DECLARED_SCRIPT_THREADS).toBe(DEFAULT_SCRIPT_THREADS);
    for (const command of ['audit', 'report-node']) {
      expect(defaults(command)).toMatchObject({
        namespace: DEFAULT_RANGES_LOCATION.namespace,
        configmap: DEFAULT_RANGES_LOCATION.name,
      });
    }
    expect(defaults('check')).toMatchObject({ output: 'text', failOn: 'deny' });
  });
});
