/**
 * Baseline "stack's limit": fastify with the same TLS options, body limit and timeouts as
 * portguard, answering every AdmissionReview with allowed after parsing the body.
 */

import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { BODY_LIMIT_BYTES } from '../../src/server/admission-request.js';
import { SERVER_TIMEOUTS } from '../../src/server/serve.js';
import { tlsOptions } from '../../src/tls/reloading-context.js';
import { failStartup, readChildConfig, serveIpc } from './child-protocol.js';

async function main(): Promise<void> {
  const cfg = readChildConfig();
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    https: tlsOptions(readFileSync(cfg.certFile), readFileSync(cfg.keyFile)),
  });
  const allow = async (req: { body: unknown }) => {
    const uid = (req.body as { request?: { uid?: string } })?.request?.uid ?? '';
    return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } };
  };
  app.post('/validate', allow);
  app.post('/mutate', allow);
  await app.listen({ port: 0, host: '127.0.0.1' });
  Object.assign(app.server, SERVER_TIMEOUTS);
  const addr = app.server.address();
  serveIpc(typeof addr === 'object' && addr ? addr.port : 0, 0, () => app.close());
}

main().catch(failStartup);
