/**
 * The `portguard check` action: wires real stdin, stdout and stderr (and, on a terminal, a
 * progress line) into `runCheck`. The flags are declared in commands/check.ts; everything
 * else lives in check.ts.
 */
import { runCheck } from './check.js';
import { createProgressLine } from './check-progress.js';
import type { ExitCode } from './exit-codes.js';
import type { FailOn } from './fail-on.js';
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
  failOn: FailOn;
  config?: string;
}

export async function checkAction(paths: string[], flags: CheckFlags): Promise<ExitCode> {
  // Progress only where a person watches: stderr on a terminal that understands the erase
  // sequence. It is cleared before any other line is written, so nothing shares a line with it.
  const progress = createProgressLine({
    write: (s) => process.stderr.write(s),
    isTTY: process.stderr.isTTY === true && process.env.TERM !== 'dumb',
  });
  try {
    return await runCheck(
      {
        paths,
        output: flags.output,
        failOn: flags.failOn,
        ...(flags.ranges ? { ranges: flags.ranges } : {}),
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context ? { context: flags.context } : {}),
        ...(flags.namespace ? { namespace: flags.namespace } : {}),
        ...(flags.configmap ? { configmap: flags.configmap } : {}),
        ...(flags.mode ? { mode: flags.mode } : {}),
        ...(flags.config ? { config: flags.config } : {}),
      },
      {
        stdout: (s) => {
          progress.clear();
          process.stdout.write(s);
        },
        stderr: (s) => progress.note(s),
        readStdin: () => readLimited(process.stdin),
        color: wantsColor(process.stdout.isTTY, process.env),
        progress: (p) => progress.update(p),
      },
    );
  } finally {
    progress.clear();
  }
}
