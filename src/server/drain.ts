/**
 * The first phase of a graceful shutdown. Kubernetes removes a terminating pod from the
 * Service's endpoints only some seconds after SIGTERM, and kube-proxy keeps established
 * connections on it, so the apiserver keeps sending reviews here for a while. A server that
 * stopped at once would reset the next request on every keep-alive connection, and the
 * apiserver never retries a POST on a reset: under `failurePolicy: Fail` that is a rejected
 * write. While draining, the replica therefore reports not ready (so the endpoints drop it
 * even where only the probe tells), still answers every review, and ends each answer with
 * `Connection: close`, so the client's next request opens a new connection to a replica that
 * stays.
 */
import type { Server } from 'node:http';
import type { Readiness } from './deps.js';

export interface Drain {
  readonly draining: boolean;
  /** Starts draining; idempotent. */
  start(): void;
  /** `isReady` that answers not ready once draining started, with the reason in the detail. */
  readiness(isReady: () => Readiness): () => Readiness;
  /** Makes every response on `server` close its connection once draining started. */
  closeConnectionsAfterAnswer(server: Pick<Server, 'prependListener'>): void;
}

export function createDrain(): Drain {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    start() {
      draining = true;
    },
    readiness(isReady) {
      return () => {
        if (!draining) return isReady();
        return { ready: false, detail: { ...isReady().detail, shuttingDown: 'draining connections' } };
      };
    },
    closeConnectionsAfterAnswer(server) {
      // Before fastify's own listener, so it holds for every answer, 404s and errors included;
      // node then closes the socket once the response is written.
      server.prependListener('request', (_req, res) => {
        if (draining) res.setHeader('connection', 'close');
      });
    },
  };
}
