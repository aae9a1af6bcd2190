/**
 * POST /validate: runs the policy core and turns its decision into an outcome. Modes:
 * enforce denies blocking findings; warn admits with every finding as a warning; audit
 * admits and records findings in audit annotations and metrics. Namespaces go to the mode
 * label guard instead of the rules (access control that denies in every mode). An
 * exception escaping the reviewer fails closed (500, allowed: false) because validation
 * is the gate.
 */
import type { ConfigMapData } from '../core/configmap-inputs.js';
import { guardModeLabel } from '../core/mode-label-guard.js';
import { shownRequestText } from '../core/request-text.js';
import type { ReviewResult } from '../core/review.js';
import type { Finding, Mode } from '../core/types.js';
import type { CountedAnalysis } from '../shell/index.js';
import type { AdmissionRequest } from './admission-request.js';
import {
  allowed,
  denied,
  errored,
  type Outcome,
  withAuditAnnotations,
  withWarnings,
} from './admission-response.js';
import type { AppDeps } from './deps.js';
import { findingWarnings } from './finding-warnings.js';
import type { ReviewDecision } from './metrics.js';
import { isNamespaceRequest, toModeLabelInput } from './mode-label-input.js';
import { toReviewInput } from './review-input.js';

/** What a handler hands back to the route: the outcome plus what to log and count. */
export interface HandlerResult {
  outcome: Outcome;
  decision: ReviewDecision;
  mode?: Mode;
  rules: string[];
  /** Error to log (never sent to the client). */
  error?: unknown;
}

/** Message for a failure of portguard itself; deliberately says nothing about the object. */
export const INTERNAL_ERROR_MESSAGE =
  'portguard could not review this object because of an internal error; it is denied until the ' +
  'webhook recovers (see the portguard logs)';

/** Keeps a denial readable in `kubectl` output even when many findings block. */
const MAX_DENIAL_CHARS = 4000;

function describe(f: Finding): string {
  const where = f.path ? ` ${f.path}` : '';
  return `[${f.rule}]${where}: ${f.message}`;
}

/** One line per blocking finding, each naming rule, path, port, nodes and fix (finding.message). */
export function denialMessage(result: ReviewResult, kind: string, name: string): string {
  // Both come from the request; capped so a huge name cannot fill the message on its own.
  const shownKind = shownRequestText(kind);
  const subject = name ? `${shownKind} ${shownRequestText(name)}` : shownKind;
  const lines = result.denials.map(describe);
  const head =
    lines.length === 1
      ? `portguard denied ${subject}: `
      : `portguard denied ${subject} (${lines.length} problems):\n- `;
  let text = head + lines.join('\n- ');
  if (text.length > MAX_DENIAL_CHARS) text = `${text.slice(0, MAX_DENIAL_CHARS - 1)}…`;
  return text;
}

/** Which findings the user sees as warnings in each mode. */
function isWarning(f: Finding, mode: Mode, blocking: ReadonlySet<Finding>): boolean {
  if (blocking.has(f)) return false;
  if (f.severity === 'warn' || mode === 'warn') return true;
  // A preexisting violation on UPDATE is not blocked, but the editor should still hear of it.
  return mode === 'enforce' && f.severity === 'deny';
}

function decisionAnnotation(result: ReviewResult): string {
  if (!result.allowed) return 'denied';
  if (result.findings.length === 0) return 'allowed';
  return result.mode === 'enforce' ? 'allowed-with-findings' : `allowed-${result.mode}`;
}

/**
 * `configMaps` and `scriptAnalyses`: looked up and analysed beforehand by the route
 * (review-configmaps.ts, review-scripts.ts), so the review stays synchronous.
 */
export function handleValidate(
  req: AdmissionRequest,
  deps: AppDeps,
  configMaps?: ConfigMapData,
  scriptAnalyses?: ReadonlyMap<string, CountedAnalysis>,
): HandlerResult {
  let result: ReviewResult;
  try {
    result = isNamespaceRequest(req)
      ? guardModeLabel(toModeLabelInput(req), deps.getPolicy())
      : deps.reviewer.review(
          toReviewInput(req, deps, configMaps, scriptAnalyses),
          deps.getState(),
          deps.getPolicy(),
        );
  } catch (error) {
    return { outcome: errored(500, INTERNAL_ERROR_MESSAGE), decision: 'error', rules: [], error };
  }
  const rules = [...new Set(result.findings.map((f) => f.rule))];
  for (const f of result.findings) {
    deps.metrics.findings.inc({ rule: f.rule, severity: f.severity, mode: result.mode });
  }
  const blocking = new Set(result.denials);
  const kind = result.view?.kind ?? req.kind.kind;
  const name = result.view
    ? `${result.view.namespace ? `${result.view.namespace}/` : ''}${result.view.name}`
    : (req.name ?? '');
  let outcome = result.allowed ? allowed() : denied(denialMessage(result, kind, name));
  outcome = withWarnings(
    outcome,
    findingWarnings(result.findings.filter((f) => isWarning(f, result.mode, blocking))),
  );
  const annotations: Record<string, string> = { decision: decisionAnnotation(result), mode: result.mode };
  if (result.findings.length > 0) {
    annotations.findings = String(result.findings.length);
    annotations.rules = rules.join(',');
  }
  if (result.exempted.length > 0) {
    annotations.exempted = [...new Set(result.exempted.map((f) => f.rule))].join(',');
  }
  outcome = withAuditAnnotations(outcome, annotations);
  return { outcome, decision: result.allowed ? 'allowed' : 'denied', mode: result.mode, rules };
}
