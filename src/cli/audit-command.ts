/**
 * Registers `portguard audit`: parses flags, wires real stdout/stderr into `runAudit`
 * and sets the exit code. Everything else lives in src/audit/.
 */
import { type Command, Option } from 'commander';
import { DEFAULT_RANGES_LOCATION } from '../kube/read-cluster-ranges.js';
import { ExitCode } from './exit-codes.js';
import { AUDIT_OUTPUTS, type AuditOutput, runAudit } from './run-audit.js';

interface AuditFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  configmap: string;
  ranges?: string;
  output: AuditOutput;
  fix?: boolean;
  config?: string;
  progress?: boolean;
}

export function registerAuditCommand(program: Command): void {
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
      DEFAULT_RANGES_LOCATION.namespace,
    )
    .option('--configmap <name>', 'name of the ranges ConfigMap', DEFAULT_RANGES_LOCATION.name)
    .option('--ranges <file>', "proposed ranges ConfigMap (or data map) instead of the cluster's (what-if)")
    .addOption(new Option('--output <format>', 'output format').choices([...AUDIT_OUTPUTS]).default('text'))
    .option('--fix', 'print kubectl patch commands that move conflicting Services to safe free nodePorts')
    .option('--config <file>', 'policy file (exemptions; audit never blocks)')
    .option('--progress', 'print listing progress on stderr even when it is not a terminal')
    .action(async (flags: AuditFlags) => {
      process.exitCode = await runAudit(
        {
          output: flags.output,
          ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
          ...(flags.context ? { context: flags.context } : {}),
          namespace: flags.namespace,
          configmap: flags.configmap,
          ...(flags.ranges ? { ranges: flags.ranges } : {}),
          ...(flags.config ? { config: flags.config } : {}),
          fix: flags.fix === true,
          progress: flags.progress === true,
        },
        {
          stdout: (s) => process.stdout.write(s),
          stderr: (s) => process.stderr.write(s),
          stderrIsTTY: process.stderr.isTTY === true,
        },
      );
    })
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        process.exit(ExitCode.Ok);
      process.exit(ExitCode.BadInput);
    });
}
