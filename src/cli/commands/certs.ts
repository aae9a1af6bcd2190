/** `portguard certs`: flags only; the action loads ../certs-command.ts (and the certificate library). */
import type { Command } from 'commander';
import { DEFAULT_DAYS } from '../../tls/defaults.js';
import type { CertsFlags } from '../certs-command.js';
import type { CommandContext } from './index.js';

export function declareCerts(program: Command, ctx: CommandContext): void {
  program
    .command('certs')
    .description('Write a CA and a serving certificate for the webhook Service; print the caBundle')
    .option('--out <dir>', 'directory for ca.crt, ca.key, tls.crt, tls.key', 'certs/')
    .option('--service <name>', 'webhook Service name (SAN <service>.<namespace>.svc)', 'portguard')
    .option('--namespace <ns>', 'namespace of the webhook Service', 'portguard-system')
    .option('--days <n>', 'validity of the CA and the serving certificate, 1-3650', String(DEFAULT_DAYS))
    .option('--force', 'overwrite existing keys')
    .option(
      '--write-overlay <dir>',
      'also copy ca.crt, tls.crt and tls.key into <dir>/certs/ (self-signed overlay)',
    )
    .action(async (flags: CertsFlags) => {
      const { certsAction } = await import('../certs-command.js');
      ctx.exit(await certsAction(flags));
    });
}
