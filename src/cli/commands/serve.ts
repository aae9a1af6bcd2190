/**
 * `portguard serve`: flags and their defaults only; the action loads ../serve-command.ts (fastify,
 * prom-client, pino, and client-node with --kubeconfig).
 */
import { type Command, Option } from 'commander';
import type { ServeFlags } from '../serve-options.js';
import type { CommandContext } from './index.js';
import { portNumber, threadCount } from './parse.js';

export const DEFAULT_PRUNE_INTERVAL = '10m';
/** Time for the endpoints and kube-proxy to drop a terminating pod; see src/server/drain.ts. */
export const DEFAULT_DRAIN_PERIOD = '10s';
/** Default `--review-deadline`: well inside the manifests' `timeoutSeconds: 5`. */
export const DEFAULT_REVIEW_DEADLINE = '3s';
export const DEFAULT_SCRIPT_THREADS = 1;

export function declareServe(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('Run the admission webhook (HTTPS /validate and /mutate; /healthz, /readyz, /metrics)')
    .option('--port <port>', 'HTTPS port for the admission endpoints', portNumber, 8443)
    .option('--health-port <port>', 'plaintext port for /healthz, /readyz and /metrics', portNumber, 8081)
    .option('--host <address>', 'listen address (default 0.0.0.0; 127.0.0.1 with --dev)')
    .option('--tls-cert <file>', 'serving certificate (default certs/tls.crt), reloaded on change')
    .option('--tls-key <file>', 'serving key (default certs/tls.key), reloaded on change')
    .option('--client-ca <file>', 'require client certificates signed by this CA (the apiserver)')
    .option('--ranges <file>', 'node-ranges ConfigMap file; static state, no informers')
    .option('--kubeconfig <file|in-cluster>', 'watch the cluster (ranges ConfigMap, Services, pods, Nodes)')
    .addOption(
      new Option(
        '--namespace <ns>',
        'namespace of the ranges ConfigMap and the leader Lease (default portguard-system)',
      ).env('POD_NAMESPACE'),
    )
    .option('--configmap <name>', 'name of the ranges ConfigMap (default portguard-node-ranges)')
    .option(
      '--no-configmap-lookup',
      'with --kubeconfig: do not read the ConfigMaps that node-reaching pods use (scripts reading them stay unknown)',
    )
    .option('--config <file>', 'policy file (mode, exemptions, mutations)')
    .option('--dev', 'no cluster needed: self-signed certs in certs/, example ranges, prints a curl command')
    .option(
      '--audit-interval <duration>',
      'with --kubeconfig: the leader audits the cluster and writes PolicyReports this often (e.g. 10m; default off)',
    )
    .option(
      '--no-prune-node-keys',
      'do not prune node.<name> keys of deleted nodes from the ranges ConfigMap',
    )
    .option(
      '--prune-interval <duration>',
      'the leader prunes on start, on Node deletions and this often',
      DEFAULT_PRUNE_INTERVAL,
    )
    .option(
      '--drain-period <duration>',
      'after SIGTERM, keep answering this long while not ready, closing each connection after its answer, so endpoints move on without a failed review (0: close at once)',
      DEFAULT_DRAIN_PERIOD,
    )
    .option(
      '--script-threads <n>',
      'worker threads that analyse pod scripts off the event loop (0: on it)',
      threadCount,
      DEFAULT_SCRIPT_THREADS,
    )
    .option(
      '--review-deadline <duration>',
      'how long a review waits for script analysis; scripts not done by then are unknown',
      DEFAULT_REVIEW_DEADLINE,
    )
    .action(async (flags: ServeFlags) => {
      const { serveAction } = await import('../serve-command.js');
      ctx.exit(await serveAction(flags));
    });
}
