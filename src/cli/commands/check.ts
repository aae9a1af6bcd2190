/** `portguard check`: flags only; the action loads ../check-command.ts, which runs the check. */
import { type Command, Option } from 'commander';
import type { CheckFlags } from '../check-command.js';
import { FAIL_ON_LEVELS } from '../fail-on.js';
import { OUTPUT_FORMATS } from '../format/output-formats.js';
import type { CommandContext } from './index.js';

export function declareCheck(program: Command, ctx: CommandContext): void {
  program
    .command('check')
    .description(
      'Check manifests against node ephemeral port ranges (for CI); exit 1 on findings at the --fail-on level',
    )
    .argument('[paths...]', 'files or directories of YAML/JSON manifests, or - for stdin')
    .option(
      '--ranges <file>',
      'node-ranges ConfigMap (or its data map), - for stdin; built-in defaults when neither it nor --kubeconfig is given',
    )
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
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .addOption(
      new Option('--mode <mode>', 'enforce fails on deny findings; warn reports them and exits 0').choices([
        'enforce',
        'warn',
      ]),
    )
    .addOption(
      new Option(
        '--fail-on <level>',
        'exit 1 on findings at this level or above: deny (what the mode denies) or warn (warnings and unknowns too)',
      )
        .choices(FAIL_ON_LEVELS)
        .default('deny'),
    )
    .option('--config <file>', 'policy file (mode and exemptions)')
    .option('--base-dir <dir>', 'directory SARIF file URIs are relative to (default: the working directory)')
    .action(async (paths: string[], flags: CheckFlags) => {
      const { checkAction } = await import('../check-command.js');
      ctx.exit(await checkAction(paths, flags));
    });
}
