/**
 * The JSON body parser of the admission app: fastify's own (prototype poisoning refused),
 * behind the shape pre-scan, so a body within the byte limit still cannot make JSON.parse
 * build more objects than the heap holds.
 */
import type { FastifyInstance } from 'fastify';
import { jsonShapeProblem } from './json-shape.js';

/** A body whose shape is refused: answered 413 like a body over the byte limit. */
export class BodyShapeError extends Error {
  override readonly name = 'BodyShapeError';
  readonly statusCode = 413;
}

export function installJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const problem = jsonShapeProblem(body as Buffer);
    if (problem) {
      done(new BodyShapeError(problem), undefined);
      return;
    }
    parse(request, (body as Buffer).toString('utf8'), done);
  });
}
