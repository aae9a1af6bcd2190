/** `portguard audit`: flags only; the action loads ../audit-command.ts. */
import { type Command, Option } from 'commander';
import type { AuditFlags } from '../audit-command.js';
import { clusterOptions } from './cluster-options.js';
import type { CommandContext } from './index.js';

/** `--output` of audit (run-audit.ts formats them). */
export const AUDIT_OUTPUTS = ['text', 'json', 'policyreport'] as const;

export function declareAudit(program: Command, ctx: CommandContext): void {
  const audit = program
    .command('audit')
    .description(
      'Scan what already runs in a cluster (Services, hostNetwork/hostPort pods, workloads, node ranges); ' +
        'with --ranges, a what-if against proposed ranges',
    );
  clusterOptions(audit, 'scan')
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
