/** `portguard ranges export`: flags only; the action loads ../ranges-command.ts (and client-node). */
import type { Command } from 'commander';
import { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE } from '../../kube/defaults.js';
import type { RangesExportOptions } from '../ranges-command.js';
import type { CommandContext } from './index.js';

export function declareRanges(program: Command, ctx: CommandContext): void {
  const ranges = program
    .command('ranges')
    .description('Work with the node data (ranges ConfigMap, node report objects, Nodes)');
  ranges
    .command('export')
    .description(
      "Write the cluster's effective per-node ranges, labels and evidence as a ConfigMap for `check --ranges`",
    )
    .option('--kubeconfig <file>', 'cluster to read (default: KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--context <name>', "kubeconfig context to use instead of the file's current one")
    .option(
      '--namespace <ns>',
      "namespace of the ranges ConfigMap and the nodes' report objects",
      DEFAULT_NAMESPACE,
    )
    .option('--configmap <name>', 'name of the ranges ConfigMap', DEFAULT_CONFIGMAP)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (flags: RangesExportOptions) => {
      const { rangesExportAction } = await import('../ranges-command.js');
      ctx.exit(await rangesExportAction(flags));
    });
}
