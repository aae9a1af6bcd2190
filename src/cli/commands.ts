/**
 * The list of CLI commands. Each `register*` adds one subcommand with its flags and
 * maps its outcome to an exit code (see exit-codes.ts).
 *
 * Command modules are imported on demand: `serve`, `dev`, `audit`, `ranges` and `report-node` pull
 * in fastify, prom-client, pino and @kubernetes/client-node, which cost about a second of
 * start-up that `portguard check` in CI would pay for nothing. When argv names a command,
 * only that command's module loads; otherwise (help, typos, no command) all of them do,
 * so the help text and commander's suggestions are unchanged.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

/** Command name → loader of its register function, in the order help lists them. */
export const COMMAND_LOADERS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  // Commands register here: check, serve, certs, report-node, audit, dev, ranges.
  ['check', async () => (await import('./check-command.js')).registerCheckCommand],
  ['audit', async () => (await import('./audit-command.js')).registerAuditCommand],
  ['dev', async () => (await import('./dev-command.js')).registerDevCommand],
  ['serve', async () => (await import('./serve-command.js')).registerServeCommand],
  ['certs', async () => (await import('./certs-command.js')).registerCertsCommand],
  ['report-node', async () => (await import('./report-node-command.js')).registerReportNodeCommand],
  ['ranges', async () => (await import('./ranges-command.js')).registerRangesCommand],
];

/** Registers the command `args[0]` names, or every command when it names none. */
export async function registerCommands(program: Command, args: readonly string[] = []): Promise<void> {
  const named = COMMAND_LOADERS.filter(([name]) => name === args[0]);
  const wanted = named.length > 0 ? named : COMMAND_LOADERS;
  const registers = await Promise.all(wanted.map(([, load]) => load()));
  for (const register of registers) register(program);
}
