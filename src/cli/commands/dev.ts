/** `portguard dev`: flags only; the action loads ../dev-command.ts (the server and client-node). */
import type { Command } from 'commander';
import type { DevFlags } from '../dev-command.js';
import type { CommandContext } from './index.js';
import { portNumber } from './parse.js';

/** Default host: Docker Desktop, kind and k3d on Docker Desktop resolve it to this machine. */
export const DEFAULT_DEV_HOST = 'host.docker.internal';

export function declareDev(program: Command, ctx: CommandContext): void {
  program
    .command('dev')
    .description(
      'Run the webhook locally against a cluster: registers portguard-dev webhooks, removes them on exit',
    )
    .requiredOption('--kubeconfig <file>', 'cluster to register the webhooks in and watch')
    .option('--port <port>', 'HTTPS port the apiserver calls', portNumber, 8443)
    .option('--host <address>', 'IP or hostname of this machine as the apiserver sees it', DEFAULT_DEV_HOST)
    .option('--config <file>', 'policy file (mode, exemptions, mutations)')
    .action(async (flags: DevFlags) => {
      const { devAction } = await import('../dev-command.js');
      ctx.exit(await devAction(flags));
    });
}
