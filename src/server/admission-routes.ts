/**
 * POST /validate and POST /mutate: decode the envelope, run the handler, complete the
 * response, then log and time the decision. Logs carry uid, kind, namespace/name and
 * rule ids only, never the object (it can hold env values or Secret data).
 */
import type { FastifyInstance } from 'fastify';
import { shownRequestText } from '../core/request-text.js';
import { type AdmissionRequest, parseAdmissionReview } from './admission-request.js';
import { completeResponse, type WebhookKind } from './admission-response.js';
import type { AppDeps } from './deps.js';
import { kindLabel } from './kind-label.js';
import { handleMutate } from './mutate-handler.js';
import { lookUpConfigMaps } from './review-configmaps.js';
import { analyseScripts } from './review-scripts.js';
import { type HandlerResult, handleValidate } from './validate-handler.js';

const HANDLERS: Record<
  WebhookKind,
  (req: AdmissionRequest, deps: AppDeps) => HandlerResult | Promise<HandlerResult>
> = {
  // Cluster reads happen here, before the review; the handlers themselves stay synchronous.
  validate: async (req, deps) => {
    const configMaps = await lookUpConfigMaps(req, deps);
    return handleValidate(req, deps, configMaps, await analyseScripts(req, deps, configMaps));
  },
  mutate: handleMutate,
};

function errorSummary(error: unknown): { type: string; stack?: string } {
  return error instanceof Error ? { type: error.name, stack: error.stack } : { type: typeof error };
}

/**
 * Which level a decision is logged at. An admission webhook sees every write in the
 * cluster (thousands per second during a rollout), and the apiserver's audit log already
 * records each answer with our audit annotations. So info carries only what an operator
 * acts on: denials, patches portguard made, and admissions that came with findings or
 * warnings (warn and audit modes, mutation notes). A clean admission is debug: at info it
 * was a synchronous stdout write per request (a measurable share of the request path,
 * and a stall whenever the log pipe is full) that tells nobody anything.
 */
export function decisionLogLevel(
  result: Pick<HandlerResult, 'decision' | 'rules' | 'outcome'>,
): 'info' | 'debug' {
  const clean =
    result.decision === 'allowed' && result.rules.length === 0 && !result.outcome.warnings?.length;
  return clean ? 'debug' : 'info';
}

function logFields(webhook: WebhookKind, req: AdmissionRequest, result: HandlerResult, seconds: number) {
  return {
    webhook,
    uid: req.uid,
    // Capped: these are the caller's strings, and a log line must not carry megabytes.
    kind: shownRequestText(req.kind.kind),
    namespace: shownRequestText(req.namespace ?? ''),
    name: shownRequestText(req.name ?? ''),
    operation: req.operation,
    dryRun: req.dryRun === true,
    decision: result.decision,
    mode: result.mode,
    rules: result.rules,
    ms: Math.round(seconds * 1e4) / 10,
  };
}

export function registerAdmissionRoutes(app: FastifyInstance, deps: AppDeps): void {
  for (const webhook of ['validate', 'mutate'] as const) {
    const handle = HANDLERS[webhook];
    // `?timeout=10s` from the apiserver is accepted and ignored: answers take milliseconds.
    app.post(`/${webhook}`, async (request, reply) => {
      const started = process.hrtime.bigint();
      const review = parseAdmissionReview(request.body);
      const req = review.request;
      const result = await handle(req, deps);
      const body = completeResponse(req.uid, result.outcome, webhook);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.requestDuration.observe(
        { operation: webhook, kind: kindLabel(req.kind.kind), decision: result.decision },
        seconds,
      );
      if (result.error !== undefined) {
        deps.logger.error(
          { ...logFields(webhook, req, result, seconds), err: errorSummary(result.error) },
          'review failed',
        );
      } else {
        const level = decisionLogLevel(result);
        if (deps.logger.isLevelEnabled(level))
          deps.logger[level](logFields(webhook, req, result, seconds), 'admission decision');
      }
      return reply.code(200).send(body);
    });
  }
}
