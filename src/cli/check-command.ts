/**
 * The `portguard check` action: wires real stdin, stdout and stderr into `runCheck`. The
 * flags are declared in commands/check.ts; everything else lives in check.ts.
 */
import { runCheck } from './check.js';
import type { ExitCode } from './exit-codes.js';
import type { OutputFormat } from './format/index.js';
import { readLimited } from './manifest-loader.js';

/** Colour only for a terminal, and never when NO_COLOR is set to anything (no-color.org). */
export function wantsColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

export interface CheckFlags {
  ranges?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  configmap?: string;
  output: OutputFormat;
  mode?: 'enforce' | 'warn';
  config?: string;
}

export function checkAction(paths: string[], flags: CheckFlags): Promise<ExitCode> {
  return runCheck(
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
    },
    {
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
      readStdin: () => readLimited(process.stdin),
      color: wantsColor(process.stdout.isTTY, process.env),
    },
  );
}
