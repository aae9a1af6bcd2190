/**
 * The `portguard check` action: wires real stdin, stdout and stderr (and, on a terminal, a
 * progress line) into `runCheck`. The flags are declared in commands/check.ts; everything
 * else lives in check.ts.
 */

import { readLimited } from '../input/text-input.js';
import { runCheck } from './check.js';
import { createProgressLine } from './check-progress.js';
import type { ExitCode } from './exit-codes.js';
import type { FailOn } from './fail-on.js';
import type { OutputFormat } from './format/index.js';
import { wantsColor } from './format/terminal.js';

/** Colour as Node's util.styleText decides it (FORCE_COLOR, NO_COLOR, the TTY); see format/terminal.ts. */
export { wantsColor };

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
  baseDir?: string;
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
        ...(flags.baseDir ? { baseDir: flags.baseDir } : {}),
      },
      {
        stdout: (s) => {
          progress.clear();
          process.stdout.write(s);
        },
        stderr: (s) => progress.note(s),
        readStdin: () => readLimited(process.stdin),
        color: wantsColor(process.stdout.isTTY, process.env),
        // Wrapped to the terminal; into a pipe or file (CI logs), lines stay whole.
        ...(process.stdout.isTTY ? { columns: process.stdout.columns } : {}),
        progress: (p) => progress.update(p),
      },
    );
  } finally {
    progress.clear();
  }
}
