/**
 * The list of CLI commands. Each `register*` adds one subcommand with its flags and
 * maps its outcome to an exit code (see exit-codes.ts).
 */
import type { Command } from 'commander';
import { registerAuditCommand } from './audit-command.js';
import { registerCheckCommand } from './check-command.js';
import { registerDevCommand } from './dev-command.js';
import { registerReportNodeCommand } from './report-node-command.js';
import { registerServeCommand } from './serve-command.js';

export function registerCommands(program: Command): void {
  // Commands register here: check, serve, certs, report-node, audit, dev.
  registerCheckCommand(program);
  registerAuditCommand(program);
  registerDevCommand(program);
  registerServeCommand(program);
  registerReportNodeCommand(program);
}
