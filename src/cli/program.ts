/**
 * The portguard program: the root command with every declaration from commands/, and how
 * commander's outcomes become exit codes. Usage errors (an unknown command or flag, a bad
 * choice, a missing argument, no command at all) exit 2 from every command, as bad input
 * does; `--help` and `--version` exit 0. Output goes through `io`, so tests run the program
 * in-process.
 */
import { Command, CommanderError } from 'commander';
import { type CommandContext, DECLARATIONS } from './commands/index.js';
import { ExitCode } from './exit-codes.js';

export const VERSION = '0.1.0';

export type ProgramIO = Pick<CommandContext, 'stdout' | 'stderr'>;

/** The root command with every subcommand declared; actions report their exit code to `exit`. */
export function buildProgram(io: ProgramIO, exit: (code: ExitCode) => void): Command {
  const program = new Command()
    .name('portguard')
    .description('Keeps Kubernetes NodePorts out of node ephemeral port ranges')
    .version(VERSION)
    // Set before any subcommand exists: subcommands copy these settings when declared.
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  const ctx: CommandContext = { stdout: io.stdout, stderr: io.stderr, exit };
  for (const declare of DECLARATIONS) declare(program, ctx);
  return program;
}

/**
 * Parses `args` (argv after the node binary and the script), runs the command and resolves to
 * its exit code. Errors other than usage errors (a crash in an action) are thrown.
 */
export async function runProgram(args: readonly string[], io: ProgramIO): Promise<ExitCode> {
  let code = ExitCode.Ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (err) {
    // commander has printed the message (or the help, or the version) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    throw err;
  }
  return code;
}
