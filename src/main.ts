/**
 * The only entry point that reads argv and env. Each command lives in its own module
 * under src/cli/ and registers itself here.
 */
import { Command } from 'commander';
import { registerCommands } from './cli/commands.js';

const program = new Command();
program
  .name('portguard')
  .description('Keeps Kubernetes NodePorts out of node ephemeral port ranges')
  .version('0.1.0')
  .showHelpAfterError();
// argv names the command, so only that command's module (and its dependencies) loads.
registerCommands(program, process.argv.slice(2))
  .then(() => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    process.stderr.write(`portguard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
