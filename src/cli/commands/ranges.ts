/** `portguard ranges export`: flags only; the action loads ../ranges-command.ts (and client-node). */
import type { Command } from 'commander';
import type { RangesExportOptions } from '../ranges-command.js';
import { clusterOptions } from './cluster-options.js';
import type { CommandContext } from './index.js';

export function declareRanges(program: Command, ctx: CommandContext): void {
  const ranges = program
    .command('ranges')
    .description('Work with the node data (ranges ConfigMap, node report objects, Nodes)');
  const rangesExport = ranges
    .command('export')
    .description(
      "Write the cluster's effective per-node ranges, labels and evidence as a ConfigMap for `check --ranges`",
    );
  clusterOptions(rangesExport, 'read')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (flags: RangesExportOptions) => {
      const { rangesExportAction } = await import('../ranges-command.js');
      ctx.exit(await rangesExportAction(flags));
    });
}
