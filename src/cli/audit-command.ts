/**
 * The `portguard audit` action: wires real stdout and stderr into `runAudit`. The flags are
 * declared in commands/audit.ts; everything else lives in run-audit.ts and src/audit/.
 */
import type { ExitCode } from './exit-codes.js';
import { type AuditOutput, runAudit } from './run-audit.js';

export interface AuditFlags {
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

export function auditAction(flags: AuditFlags): Promise<ExitCode> {
  return runAudit(
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
}
