/**
 * The only entry point that reads argv and env. The commands are declared in src/cli/commands/;
 * each loads its implementation only when it runs, so `--help` and `--version` start fast.
 */
import { ExitCode } from './cli/exit-codes.js';
import { runProgram } from './cli/program.js';

runProgram(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`portguard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = ExitCode.BadInput;
  },
);
