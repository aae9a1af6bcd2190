/** `portguard audit`: flags only; the action loads ../audit-command.ts. */
import { type Command, Option } from 'commander';
import { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE } from '../../kube/defaults.js';
import type { AuditFlags } from '../audit-command.js';
import type { CommandContext } from './index.js';

/** `--output` of audit (run-audit.ts formats them). */
export const AUDIT_OUTPUTS = ['text', 'json', 'policyreport'] as const;

export function declareAudit(program: Command, ctx: CommandContext): void {
  program
    .command('audit')
    .description(
      'Scan what already runs in a cluster (Services, hostNetwork/hostPort pods, workloads, node ranges); ' +
        'with --ranges, a what-if against proposed ranges',
    )
    .option('--kubeconfig <file>', 'cluster to scan (default: KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--context <name>', "kubeconfig context to use instead of the file's current one")
    .option(
      '--namespace <ns>',
      "namespace of the ranges ConfigMap and the nodes' report objects",
      DEFAULT_NAMESPACE,
    )
    .option('--configmap <name>', 'name of the ranges ConfigMap', DEFAULT_CONFIGMAP)
    .option('--ranges <file>', "proposed ranges ConfigMap (or data map) instead of the cluster's (what-if)")
    .addOption(new Option('-o, --output <format>', 'output format').choices(AUDIT_OUTPUTS).default('text'))
    .option('--fix', 'print kubectl patch commands that move conflicting Services to safe free nodePorts')
    .option('--config <file>', 'policy file (exemptions; audit never blocks)')
    .option('--progress', 'print listing progress on stderr even when it is not a terminal')
    .action(async (flags: AuditFlags) => {
      const { auditAction } = await import('../audit-command.js');
      ctx.exit(await auditAction(flags));
    });
}
