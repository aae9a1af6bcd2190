/** `portguard report-node`: flags only; the action loads ../report-node-command.ts (and client-node). */
import { type Command, Option } from 'commander';
import { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE, IN_CLUSTER } from '../../kube/defaults.js';
import type { ReportNodeFlags } from '../report-node-command.js';
import type { CommandContext } from './index.js';

/**
 * Kubernetes' default --service-node-port-range. The same as DEFAULT_NODE_PORT_RANGE in
 * src/core/node-ranges.ts (test/cli/program.test.ts holds them equal), which cannot be imported
 * here: that module compiles its schemas with ajv as it loads.
 */
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

export function declareReportNode(program: Command, ctx: CommandContext): void {
  program
    .command('report-node')
    .description(
      "Write this node's ip_local_port_range, reserved ports, host listeners and NodePort source ports into its report object",
    )
    .addOption(new Option('--node-name <name>', 'this node (from the downward API)').env('NODE_NAME'))
    .option('--namespace <ns>', 'namespace of the ranges ConfigMap', DEFAULT_NAMESPACE)
    .option('--configmap <name>', 'name of the ranges ConfigMap', DEFAULT_CONFIGMAP)
    .option('--kubeconfig <file|in-cluster>', 'kubeconfig file, or in-cluster service account', IN_CLUSTER)
    .option('--proc <dir>', "root of the host's proc tree", '/proc')
    .option('--interval <duration>', 'how often to measure the node', '30s')
    .option('--resync <duration>', 're-send the report this often even when unchanged', '10m')
    .option(
      '--node-port-range <range>',
      "the apiserver's --service-node-port-range: connections using a port in it as source port are counted",
      DEFAULT_NODE_PORT_RANGE,
    )
    .option('--once', 'report once and exit')
    .action(async (flags: ReportNodeFlags) => {
      const { reportNodeAction } = await import('../report-node-command.js');
      ctx.exit(await reportNodeAction(flags));
    });
}
