/**
 * The webhook as a fastify app, built without listening so tests drive it with
 * `app.inject()`. `serve.ts` alone listens, sets timeouts and handles signals.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { BODY_LIMIT_BYTES, MalformedReviewError } from './admission-request.js';
import { completeResponse, errored } from './admission-response.js';
import { registerAdmissionRoutes } from './admission-routes.js';
import type { AppDeps } from './deps.js';
import { registerHealthRoutes } from './health-routes.js';
import { installJsonBodyParser } from './json-body-parser.js';
import { notFoundAnswer, onClientError } from './transport-answers.js';

export type { AppDeps, Readiness } from './deps.js';

/** Client-facing reasons for fastify's transport errors; never a stack trace. */
function clientMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported Content-Type; send the AdmissionReview as application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty; expected an AdmissionReview (admission.k8s.io/v1)';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body is larger than ${BODY_LIMIT_BYTES} bytes`;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'Content-Length does not match the body';
    default:
      if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return `request body is not valid JSON: ${err.message}`;
      }
      return err.message;
  }
}

function installErrorHandling(app: FastifyInstance, deps: Pick<AppDeps, 'logger'>): void {
  // Every failure is still an AdmissionReview (with the uid when known), so a human with
  // curl and the apiserver's logs both get a readable reason.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const code =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
        ? err.statusCode
        : 500;
    const uid = err instanceof MalformedReviewError ? err.uid : '';
    const message = code === 500 ? 'internal error in portguard; see its logs' : clientMessage(err);
    if (code === 500)
      deps.logger.error({ url: request.url, err: { type: err.name, stack: err.stack } }, 'request failed');
    else deps.logger.warn({ url: request.url, code, reason: message }, 'bad request');
    return reply.code(code).send(completeResponse(uid, errored(code, message), 'validate'));
  });
}

/**
 * node enforces headersTimeout/requestTimeout only when it sweeps connections, every
 * 30 s by default, which lets a slowloris outlive the apiserver's 10 s webhook timeout;
 * sweep every second instead. A TCP peer that never finishes the TLS handshake is cut
 * after 5 s (node's default is 120 s) unless `deps.https` says otherwise (startServer
 * passes SERVER_TIMEOUTS.handshakeTimeout, which tests shorten).
 */
const CONNECTION_CHECKS = { connectionsCheckingInterval: 1_000, handshakeTimeout: 5_000 } as const;

/** The HTTPS admission app: /validate, /mutate, and the health routes for convenience. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    clientErrorHandler: onClientError,
    // A review that arrives on an open connection while closing is still reviewed (with
    // `Connection: close`): fastify's bare 503 would be a rejected write under failurePolicy Fail.
    return503OnClosing: false,
    ...(deps.https ? { https: { ...CONNECTION_CHECKS, ...deps.https } } : {}),
  }) as unknown as FastifyInstance;
  // Only application/json is an AdmissionReview; drop fastify's text/plain parser so
  // anything else is a clean 415.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);
  installErrorHandling(app, deps);
  app.setNotFoundHandler(notFoundAnswer);
  registerAdmissionRoutes(app, deps);
  registerHealthRoutes(app, deps);
  return app;
}

/** The plaintext probe/metrics app for the health port (8081 by default). */
export function buildHealthApp(deps: Pick<AppDeps, 'isReady' | 'metrics' | 'logger'>): FastifyInstance {
  const app = Fastify({ logger: false });
  installErrorHandling(app, deps);
  // Not an admission port: a plain 404, so nothing here can be mistaken for an admission answer.
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));
  registerHealthRoutes(app, deps);
  return app;
}
