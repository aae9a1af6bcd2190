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
import { createDrain } from './drain.js';
import { closeConnectionsWithoutRequest } from './idle-connections.js';

/**
 * Server timeouts, in milliseconds. The apiserver waits `timeoutSeconds` for a webhook
 * (default 10 s, at most 30 s; our manifests use 5 s). A review takes milliseconds, so
 * anything slower is a stuck or hostile client and is cut before the apiserver's own
 * deadline, freeing the socket:
 * - a TCP peer must finish the TLS handshake within 5 s (node's default is 120 s);
 * - a connection must send its first request within 5 s of the TLS handshake (node has no
 *   such limit; see idle-connections.ts);
 * - headers must arrive within 5 s, the whole request (headers + up to 16 MiB body)
 *   within 6 s (node checks both every second, see app.ts);
 * - an idle keep-alive connection is closed after 8 s. The apiserver simply dials (and
 *   handshakes) again; the saving is one TLS handshake per 8 s of silence, which is
 *   negligible, while idle sockets are not held for minutes.
 */
export const SERVER_TIMEOUTS = {
  handshakeTimeout: 5_000,
  firstRequestTimeout: 5_000,
  headersTimeout: 5_000,
  requestTimeout: 6_000,
  keepAliveTimeout: 8_000,
} as const;

export type ServerTimeouts = { [K in keyof typeof SERVER_TIMEOUTS]: number };

/**
 * How long a SIGTERM'd replica keeps serving, not ready and closing each connection after
 * its answer, before it stops accepting: long enough for the endpoints controller and
 * kube-proxy to take it out of the Service (a few seconds in a healthy cluster).
 */
export const DEFAULT_DRAIN_PERIOD_MS = 10_000;

/**
 * After the drain, how long in-flight reviews may take before connections are cut. Kubernetes
 * sends SIGKILL 30 s after SIGTERM by default: drain (10 s) + this (15 s) + the exit deadline
 * (2 s) stay inside it.
 */
export const DEFAULT_GRACE_PERIOD_MS = 15_000;

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
  /** Serve while not ready before closing (see drain.ts); 0 (the default) closes at once. */
  drainPeriodMs?: number;
  /** Tests shorten these; the defaults are SERVER_TIMEOUTS. */
  timeouts?: Partial<ServerTimeouts>;
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
  /**
   * Drains (not ready, `Connection: close`) for the drain period, stops accepting, waits for
   * in-flight reviews up to the grace period, then closes.
   */
  close(): Promise<void>;
  /** Resolves once close() has finished (for a signal-driven shutdown). */
  closed: Promise<void>;
}

function applyTimeouts(app: FastifyInstance, timeouts: ServerTimeouts): void {
  const server = app.server;
  server.headersTimeout = timeouts.headersTimeout;
  server.requestTimeout = timeouts.requestTimeout;
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
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
  const timeouts: ServerTimeouts = { ...SERVER_TIMEOUTS, ...opts.timeouts };
  const drain = createDrain();
  const deps = { ...opts.deps, isReady: drain.readiness(opts.deps.isReady) };
  const app = buildApp({
    ...deps,
    https: { ...loadTlsOptions(opts.tls), handshakeTimeout: timeouts.handshakeTimeout },
  });
  applyTimeouts(app, timeouts);
  drain.closeConnectionsAfterAnswer(app.server);
  closeConnectionsWithoutRequest(app.server as unknown as TlsServer, timeouts.firstRequestTimeout);
  const healthApp = opts.healthPort === undefined ? undefined : buildHealthApp(deps);
  if (healthApp) applyTimeouts(healthApp, timeouts);

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
  const drainMs = opts.drainPeriodMs ?? 0;
  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info(
      { signal, drainMs, graceMs: grace },
      'shutting down: draining, then finishing in-flight reviews',
    );
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
        drain.start();
        if (drainMs > 0) {
          logger.info({ drainMs }, 'draining: not ready, closing each connection after its answer');
          await new Promise((resolve) => setTimeout(resolve, drainMs));
          logger.info('drain period over: refusing new connections, finishing in-flight reviews');
        }
        watcher?.close();
        // fastify stops accepting, closes idle keep-alive sockets and waits for in-flight
        // handlers; a request still arriving on an open connection is reviewed (app.ts).
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
