/**
 * `runCheck`, the function `portguard check` runs, in this process with its output captured:
 * the tests that are about what check reports, not about the process, run here instead of
 * spawning the binary (check-cli.test.ts and cases-cli.test.ts keep a few spawns that pin
 * the process contract and that the two agree).
 */
import { type CheckOptions, runCheck } from '../../src/cli/check.js';
import type { ExitCode } from '../../src/cli/exit-codes.js';
import { ROOT } from '../support/dist-paths.js';

/** The check options; output and failOn default as the command's flags do. */
export type CheckInput = Partial<CheckOptions> & Pick<CheckOptions, 'paths'>;

export interface CheckRun {
  code: ExitCode;
  stdout: string;
  stderr: string;
}

/**
 * Runs check with the command's defaults (text output, fail on deny) unless `opts` says
 * otherwise; relative paths are from `cwd` (the repository root unless given), `stdin` feeds `-`.
 * No analyzer is handed in, so scripts are analysed as the binary does it.
 */
export async function checkInProcess(
  opts: CheckInput,
  io: { cwd?: string; stdin?: string } = {},
): Promise<CheckRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCheck(
    { output: 'text', failOn: 'deny', ...opts },
    {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
      readStdin: async () => Buffer.from(io.stdin ?? ''),
      cwd: io.cwd ?? ROOT,
    },
  );
  return { code, stdout, stderr };
}
