/**
 * Registers `portguard check`: parses flags, wires real stdin/stdout/stderr into
 * `runCheck`, and sets the exit code. Everything else lives in check.ts.
 */
import { type Command, Option } from 'commander';
import { ExitCode } from './exit-codes.js';
import { OUTPUT_FORMATS, type OutputFormat } from './format/index.js';
import { wantsColor } from './format/terminal.js';

/** Colour as Node's util.styleText decides it (FORCE_COLOR, NO_COLOR, the TTY); see format/terminal.ts. */
export { wantsColor };

interface CheckFlags {
  ranges?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  configmap?: string;
  output: OutputFormat;
  mode?: 'enforce' | 'warn';
  config?: string;
  baseDir?: string;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description(
      'Check manifests against node ephemeral port ranges (for CI); exit 1 when something is denied',
    )
    .argument('[paths...]', 'files or directories of YAML/JSON manifests, or - for stdin')
    .option(
      '--ranges <file>',
      'node-ranges ConfigMap (or its data map); built-in defaults when neither it nor --kubeconfig is given',
    )
    // No defaults imported here: the Kubernetes client loads only when --kubeconfig is given.
    .option(
      '--kubeconfig <file>',
      "read the node data live from this cluster's ranges ConfigMap, report objects and Nodes (instead of --ranges)",
    )
    .option('--context <name>', "with --kubeconfig: a context other than the file's current one")
    .option(
      '--namespace <ns>',
      "with --kubeconfig: namespace of the ranges ConfigMap and the nodes' report objects (default portguard-system)",
    )
    .option(
      '--configmap <name>',
      'with --kubeconfig: name of the ranges ConfigMap (default portguard-node-ranges)',
    )
    .addOption(new Option('--output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('text'))
    .addOption(
      new Option('--mode <mode>', 'enforce fails on deny findings; warn reports them and exits 0').choices([
        'enforce',
        'warn',
      ]),
    )
    .option('--config <file>', 'policy file (mode and exemptions)')
    .option('--base-dir <dir>', 'directory SARIF file URIs are relative to (default: the working directory)')
    .action(async (paths: string[], flags: CheckFlags) => {
      // Loaded here, so other commands do not pay for the policy core at start-up.
      const [{ runCheck }, { readLimited }] = await Promise.all([
        import('./check.js'),
        import('./manifest-loader.js'),
      ]);
      const code = await runCheck(
        {
          paths,
          output: flags.output,
          ...(flags.ranges ? { ranges: flags.ranges } : {}),
          ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
          ...(flags.context ? { context: flags.context } : {}),
          ...(flags.namespace ? { namespace: flags.namespace } : {}),
          ...(flags.configmap ? { configmap: flags.configmap } : {}),
          ...(flags.mode ? { mode: flags.mode } : {}),
          ...(flags.config ? { config: flags.config } : {}),
          ...(flags.baseDir ? { baseDir: flags.baseDir } : {}),
        },
        {
          stdout: (s) => process.stdout.write(s),
          stderr: (s) => process.stderr.write(s),
          readStdin: () => readLimited(process.stdin),
          color: wantsColor(process.stdout.isTTY, process.env),
          // Wrapped to the terminal; into a pipe or file (CI logs), lines stay whole.
          ...(process.stdout.isTTY ? { columns: process.stdout.columns } : {}),
        },
      );
      process.exitCode = code;
    })
    // Commander exits 1 on usage errors by default; bad usage is bad input, exit 2.
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        process.exit(ExitCode.Ok);
      process.exit(ExitCode.BadInput);
    });
}
