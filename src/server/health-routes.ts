/**
 * /healthz, /readyz and /metrics. Registered on the admission app and on the separate
 * plaintext health app, so kubelet probes and Prometheus need no TLS.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './deps.js';

export function registerHealthRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'isReady' | 'metrics'>): void {
  // Liveness says only that the event loop answers; cluster trouble must not restart the pod.
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { ready, detail } = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ ready, ...detail });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
