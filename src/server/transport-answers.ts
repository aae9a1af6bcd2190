/**
 * AdmissionReviews for what never reaches a route: an HTTP request node could not parse or
 * that timed out (answered on the raw socket, from fastify's `clientErrorHandler`) and a
 * path that does not exist. The apiserver logs the response's status message, so even these
 * answers say what went wrong, as controller-runtime's do; the body is still built by
 * `completeResponse`, the one response builder.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { completeResponse, errored } from './admission-response.js';

interface ClientError extends Error {
  code?: string;
}

/** Status and reason for node's parser and timeout errors; never the parser's raw detail. */
function describe(err: ClientError): { code: number; message: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 408, message: 'the request did not arrive in time; the connection is closed' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 431, message: 'request headers are too large' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return { code: 400, message: 'invalid or conflicting Content-Length; the connection is closed' };
    default:
      return { code: 400, message: 'malformed HTTP request; the connection is closed' };
  }
}

/** The raw HTTP/1.1 answer for a transport error: an errored AdmissionReview, then close. */
export function clientErrorAnswer(err: ClientError): string {
  const { code, message } = describe(err);
  const body = JSON.stringify(completeResponse('', errored(code, message), 'validate'));
  return (
    `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * fastify's `clientErrorHandler`. It answers only when no response is under way on the
 * socket (writing into one would corrupt it), as node's own handler does, then closes.
 */
export function onClientError(err: ClientError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) socket.write(clientErrorAnswer(err));
  socket.destroy();
}

function readableUid(body: unknown): string {
  const uid = (body as { request?: { uid?: unknown } } | null)?.request?.uid;
  return typeof uid === 'string' && uid.length <= 256 ? uid : '';
}

/** 404 for an unknown path or method, echoing the uid when the body is an AdmissionReview. */
export function notFoundAnswer(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const message = `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 100)}; send AdmissionReviews to POST /validate or POST /mutate`;
  return reply.code(404).send(completeResponse(readableUid(request.body), errored(404, message), 'validate'));
}
