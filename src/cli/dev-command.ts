/**
 * `portguard dev --kubeconfig F`: run the webhook on this machine against a real cluster
 * (Pepr's `pepr dev` is the model). It mints a CA and serving certificate for `--host`,
 * starts the same server `serve` does (informers from the kubeconfig), registers
 * URL-based webhook configurations named `portguard-dev` with that CA, and deletes them
 * again on SIGINT, SIGTERM or a normal exit, webhooks first so the cluster never calls a
 * process that is going away.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import { httpStatus } from '../kube/http-status.js';
import { AdmissionregistrationV1Api, type KubeConfig } from '../kube/k8s.js';
import { loadKubeConfig } from '../kube/load-kubeconfig.js';
import type { ServerHandle } from '../server/serve.js';
import { generateCertificates } from '../tls/generate.js';
import { caBundle, writeCertificates } from '../tls/write-certs.js';
import { buildDevWebhooks, DEV_WEBHOOK_NAME } from './dev-webhooks.js';
import { ExitCode } from './exit-codes.js';
import { runServe } from './serve-command.js';

export interface DevFlags {
  kubeconfig: string;
  port: number;
  /** Address the apiserver can reach this machine at. */
  host: string;
  healthPort?: number;
  config?: string;
}

export interface DevIo {
  stderr: (s: string) => void;
  cwd: string;
  logger: Logger;
}

export interface DevSession {
  handle: ServerHandle;
  /** Deletes the webhook configurations, then closes the server. Idempotent. */
  stop(): Promise<void>;
}

/** Creates the configuration, or replaces a leftover one from a session that was killed. */
async function apply(
  create: () => Promise<unknown>,
  read: () => Promise<{ metadata?: { resourceVersion?: string } }>,
  replace: (resourceVersion: string | undefined) => Promise<unknown>,
): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (httpStatus(err) !== 409) throw err;
    const current = await read();
    await replace(current.metadata?.resourceVersion);
  }
}

/** Registers the dev webhooks; returns the function that removes them. */
export async function registerDevWebhooks(
  kc: KubeConfig,
  opts: { host: string; port: number; caBundle: string },
): Promise<() => Promise<void>> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const { validating, mutating } = buildDevWebhooks(opts);
  const name = DEV_WEBHOOK_NAME;
  await apply(
    () => api.createValidatingWebhookConfiguration({ body: validating }),
    () => api.readValidatingWebhookConfiguration({ name }),
    (rv) =>
      api.replaceValidatingWebhookConfiguration({
        name,
        body: { ...validating, metadata: { ...validating.metadata, resourceVersion: rv } },
      }),
  );
  await apply(
    () => api.createMutatingWebhookConfiguration({ body: mutating }),
    () => api.readMutatingWebhookConfiguration({ name }),
    (rv) =>
      api.replaceMutatingWebhookConfiguration({
        name,
        body: { ...mutating, metadata: { ...mutating.metadata, resourceVersion: rv } },
      }),
  );
  return async () => {
    for (const del of [
      () => api.deleteValidatingWebhookConfiguration({ name }),
      () => api.deleteMutatingWebhookConfiguration({ name }),
    ]) {
      try {
        await del();
      } catch (err) {
        if (httpStatus(err) !== 404) throw err;
      }
    }
  };
}

/** Starts a dev session; an exit code when it cannot (bad kubeconfig, port in use, RBAC). */
export async function runDev(flags: DevFlags, io: DevIo): Promise<DevSession | { code: ExitCode }> {
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(path.resolve(io.cwd, flags.kubeconfig));
  } catch (err) {
    io.stderr(`portguard dev: cannot load kubeconfig: ${(err as Error).message}\n`);
    return { code: ExitCode.BadInput };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'portguard-dev-'));
  const cleanupDir = () => rm(dir, { recursive: true, force: true });
  const bundle = await generateCertificates({
    extraDnsNames: ['localhost', ...(isIP(flags.host) ? [] : [flags.host])],
    ipAddresses: ['127.0.0.1', ...(isIP(flags.host) ? [flags.host] : [])],
  });
  const files = await writeCertificates(dir, bundle);
  const outcome = await runServe(
    {
      kubeconfig: path.resolve(io.cwd, flags.kubeconfig),
      port: flags.port,
      healthPort: flags.healthPort ?? 0,
      host: '0.0.0.0',
      tlsCert: files.cert,
      tlsKey: files.key,
      ...(flags.config ? { config: flags.config } : {}),
    },
    { stderr: io.stderr, cwd: io.cwd, logger: io.logger, signals: [] },
  );
  if (!outcome.handle) {
    await cleanupDir();
    return { code: outcome.code };
  }
  const handle = outcome.handle;
  let unregister: () => Promise<void>;
  try {
    unregister = await registerDevWebhooks(kc, {
      host: flags.host,
      port: handle.port,
      caBundle: caBundle(bundle),
    });
  } catch (err) {
    io.stderr(
      `portguard dev: cannot register webhook configurations: ${(err as Error).message} ` +
        '(the kubeconfig user needs create/update/delete on validating- and mutatingwebhookconfigurations)\n',
    );
    await handle.close();
    await cleanupDir();
    return { code: ExitCode.BadInput };
  }
  io.stderr(
    `portguard dev: serving on :${handle.port}; registered ${DEV_WEBHOOK_NAME} webhooks calling ` +
      `https://${flags.host}:${handle.port}. Ctrl-C removes them.\n`,
  );
  let stopping: Promise<void> | undefined;
  return {
    handle,
    stop() {
      stopping ??= (async () => {
        try {
          await unregister();
          io.stderr(`portguard dev: removed the ${DEV_WEBHOOK_NAME} webhook configurations\n`);
        } catch (err) {
          io.stderr(
            `portguard dev: could not remove the webhooks (${(err as Error).message}); delete them with ` +
              `kubectl delete validatingwebhookconfiguration,mutatingwebhookconfiguration ${DEV_WEBHOOK_NAME}\n`,
          );
        }
        await handle.close();
        await cleanupDir();
      })();
      return stopping;
    },
  };
}

/** The `portguard dev` action (flags declared in commands/dev.ts): runs until a signal or the server ends. */
export async function devAction(flags: DevFlags): Promise<ExitCode> {
  // Handlers go in before runDev prints "Ctrl-C removes them": a signal that arrived between
  // that line and a later install would take Node's default action and leave the webhooks
  // registered in the cluster. A signal during start-up stops the session once it exists.
  let session: DevSession | undefined;
  let stopRequested = false;
  const stopSession = (s: DevSession) => void s.stop();
  const shutdown = () => {
    stopRequested = true;
    if (session) stopSession(session);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const result = await runDev(flags, {
    stderr: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    logger: pino({ base: { app: 'portguard-dev' } }),
  });
  if ('code' in result) {
    process.off('SIGINT', shutdown);
    process.off('SIGTERM', shutdown);
    return result.code;
  }
  session = result;
  if (stopRequested) stopSession(session);
  // The server closing for any other reason is a normal exit too: unregister first.
  await session.handle.closed;
  await session.stop();
  // A watch still holding the loop must not keep a finished dev session alive.
  setTimeout(() => process.exit(ExitCode.Ok), 2_000).unref();
  return ExitCode.Ok;
}
