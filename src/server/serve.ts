/**
 * The only place that listens: HTTPS for the admission endpoints (certificate reloaded
 * from files without a restart), an optional plaintext port for probes and metrics,
 * timeouts below the apiserver's webhook timeout, and a graceful close for SIGTERM.
 */
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import {
  type CertificateWatcher,
  loadTlsOptions,
  type ReloadResult,
  type TlsFiles,
  watchCertificates,
} from '../tls/reloading-context.js';
import { buildApp, buildHealthApp } from './app.js';
import type { AppDeps } from './deps.js';

/**
 * Server timeouts, in milliseconds. The apiserver waits `timeoutSeconds` for a webhook
 * (default 10 s, at most 30 s; our manifests use 10 s). A review takes milliseconds, so
 * anything slower is a stuck or hostile client and is cut before the apiserver's own
 * deadline, freeing the socket:
 * - headers must arrive within 5 s, the whole request (headers + up to 16 MiB body)
 *   within 6 s (node checks both every second, see app.ts);
 * - an idle keep-alive connection is closed after 8 s. The apiserver simply dials (and
 *   handshakes) again; the saving is one TLS handshake per 8 s of silence, which is
 *   negligible, while idle sockets are not held for minutes.
 */
export const SERVER_TIMEOUTS = {
  headersTimeout: 5_000,
  requestTimeout: 6_000,
  keepAliveTimeout: 8_000,
} as const;

/** Kubernetes sends SIGKILL 30 s after SIGTERM by default; finish well before that. */
export const DEFAULT_GRACE_PERIOD_MS = 20_000;

export interface ServeOptions {
  deps: Omit<AppDeps, 'https'>;
  /** Admission port (HTTPS); 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** Plaintext /healthz, /readyz, /metrics; undefined serves them on the HTTPS port only. */
  healthPort?: number | undefined;
  healthHost?: string;
  tls: TlsFiles;
  gracePeriodMs?: number;
  /** Certificate poll interval (the file watch is the fast path). */
  certPollIntervalMs?: number;
  /** Signals that trigger a graceful close (the CLI passes SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
  /** Called after the servers closed, e.g. to stop informers. */
  onClose?: () => Promise<void> | void;
}

export interface ServerHandle {
  app: FastifyInstance;
  healthApp?: FastifyInstance;
  /** Bound admission port (useful with port 0). */
  port: number;
  healthPort?: number;
  /** Re-reads the certificate files now (the watcher also does this on change). */
  reloadCertificates(): Promise<ReloadResult>;
  /** Stops accepting, waits for in-flight reviews up to the grace period, then closes. */
  close(): Promise<void>;
  /** Resolves once close() has finished (for a signal-driven shutdown). */
  closed: Promise<void>;
}

function applyTimeouts(app: FastifyInstance): void {
  const server = app.server;
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeout;
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeout;
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeout;
}

function boundPort(app: FastifyInstance): number {
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/** Closes `app`, force-closing connections that are still open when the grace period ends. */
async function closeWithin(app: FastifyInstance, graceMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
    timer.unref();
  });
  const done = app.close().then(() => false);
  // node closes idle keep-alive sockets once, when close starts; a socket whose review
  // finishes later would otherwise stay open until keepAliveTimeout.
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
  const late = await Promise.race([done, timedOut]);
  clearTimeout(timer);
  clearInterval(sweep);
  if (late) {
    app.server.closeAllConnections();
    await done;
  }
  return late;
}

/** Listens on HTTPS (and the health port) and returns a handle for shutdown and tests. */
export async function startServer(opts: ServeOptions): Promise<ServerHandle> {
  const { logger } = opts.deps;
  const app = buildApp({ ...opts.deps, https: loadTlsOptions(opts.tls) });
  applyTimeouts(app);
  const healthApp = opts.healthPort === undefined ? undefined : buildHealthApp(opts.deps);
  if (healthApp) applyTimeouts(healthApp);

  let watcher: CertificateWatcher | undefined;
  try {
    await app.listen({ port: opts.port, host: opts.host ?? '0.0.0.0' });
    watcher = watchCertificates(app.server as unknown as TlsServer, {
      ...opts.tls,
      ...(opts.certPollIntervalMs ? { pollIntervalMs: opts.certPollIntervalMs } : {}),
      onReload: () => logger.info({ cert: opts.tls.certFile }, 'serving certificate reloaded'),
      onError: (err) =>
        logger.error({ cert: opts.tls.certFile, reason: err.message }, 'certificate reload failed'),
    });
    if (healthApp) await healthApp.listen({ port: opts.healthPort ?? 0, host: opts.healthHost ?? '0.0.0.0' });
  } catch (err) {
    watcher?.close();
    await app.close();
    await healthApp?.close();
    throw err;
  }

  const grace = opts.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal, graceMs: grace }, 'shutting down: no new connections, finishing in-flight reviews');
    void handle.close();
  };
  for (const s of opts.signals ?? []) process.once(s, onSignal);

  const handle: ServerHandle = {
    app,
    port: boundPort(app),
    reloadCertificates: () => (watcher ? watcher.reload() : Promise.resolve('unchanged')),
    close() {
      closing ??= (async () => {
        for (const s of opts.signals ?? []) process.removeListener(s, onSignal);
        watcher?.close();
        // fastify stops accepting, answers 503 to new requests on open connections, closes
        // idle keep-alive sockets and waits for in-flight handlers.
        const late = await closeWithin(app, grace);
        if (late) logger.warn({ graceMs: grace }, 'grace period over; closed remaining connections');
        if (healthApp) await closeWithin(healthApp, 1_000);
        await opts.onClose?.();
        logger.info('portguard stopped');
        markClosed();
      })();
      return closing;
    },
    closed,
  };
  if (healthApp) {
    handle.healthApp = healthApp;
    handle.healthPort = boundPort(healthApp);
  }
  return handle;
}
