/**
 * The one place that builds AdmissionReview responses. Handlers describe the outcome
 * with the small pure constructors below (allowed, denied, errored, patched,
 * withWarnings, withAuditAnnotations); `completeResponse` alone echoes the uid, encodes
 * the patch and makes warnings and audit annotations safe for the apiserver.
 */
import type { Operation as PatchOperation } from 'fast-json-patch';
import { ADMISSION_API_VERSION } from './admission-request.js';

export interface AdmissionStatus {
  code: number;
  reason?: string;
  message?: string;
}

/** `response` of an AdmissionReview v1 as sent on the wire. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** An outcome before it is bound to a request; constructors return these. */
export interface Outcome {
  allowed: boolean;
  status?: AdmissionStatus;
  patch?: PatchOperation[];
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

/** Which webhook answers: only the mutating one may carry a patch. */
export type WebhookKind = 'validate' | 'mutate';

/** Warnings longer than this are cut; kubectl prints them one per line. */
export const MAX_WARNING_CHARS = 120;
/** Stay well under the apiserver's 4096-rune total, past which it truncates every warning. */
export const MAX_WARNINGS_TOTAL_CHARS = 2048;
const MAX_ANNOTATION_VALUE_CHARS = 512;

export function allowed(): Outcome {
  return { allowed: true };
}

/** A policy denial: 403 Forbidden with the human-readable reason. */
export function denied(message: string): Outcome {
  return { allowed: false, status: { code: 403, reason: 'Forbidden', message } };
}

/** portguard itself failed; `message` must be generic (no object contents, no stack). */
export function errored(code: number, message: string): Outcome {
  return { allowed: false, status: { code, message } };
}

/** Allowed with a JSON Patch; an empty patch is dropped in completeResponse. */
export function patched(ops: PatchOperation[]): Outcome {
  return { allowed: true, patch: ops };
}

export function withWarnings(outcome: Outcome, warnings: readonly string[]): Outcome {
  if (warnings.length === 0) return outcome;
  return { ...outcome, warnings: [...(outcome.warnings ?? []), ...warnings] };
}

export function withAuditAnnotations(outcome: Outcome, annotations: Record<string, string>): Outcome {
  return { ...outcome, auditAnnotations: { ...(outcome.auditAnnotations ?? {}), ...annotations } };
}

// C0/C1 control characters (tabs and newlines included): the apiserver drops such warnings.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]+/g;
// Lone surrogates cannot be encoded as UTF-8; the apiserver drops invalid warnings.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// Already what cleanWarningText returns: no control characters, no surrogates (lone or
// paired), single spaces, none leading or trailing. Every warning portguard writes, wrapped
// findings included, passes this one regex test instead of four replaces.
const ALREADY_CLEAN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /^(?:[^\s\u0000-\u001f\u007f-\u009f\uD800-\uDFFF]+ )*[^\s\u0000-\u001f\u007f-\u009f\uD800-\uDFFF]+$/;
/** Printable ASCII: one UTF-16 unit per code point, so lengths and cuts need no Array.from. */
export const PRINTABLE_ASCII = /^[ -~]*$/;

/** Code points in `text`; its length when it is printable ASCII. */
export function codePointLength(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Valid UTF-8 (lone surrogates replaced), control characters as spaces, single spaces, trimmed. */
export function cleanWarningText(text: string): string {
  if (ALREADY_CLEAN.test(text)) return text;
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL_CHARS, ' ').replace(/ {2,}/g, ' ').trim();
}

/** Cleans one warning: valid UTF-8, no control characters, at most MAX_WARNING_CHARS code points. */
export function sanitizeWarning(text: string): string {
  // UTF-16 units never undercount code points, so a short clean text needs no counting.
  if (text.length <= MAX_WARNING_CHARS && ALREADY_CLEAN.test(text)) return text;
  const clean = cleanWarningText(text);
  if (codePointLength(clean) <= MAX_WARNING_CHARS) return clean;
  const cut = Array.from(clean)
    .slice(0, MAX_WARNING_CHARS - 1)
    .join('');
  const space = cut.lastIndexOf(' ');
  return `${space > MAX_WARNING_CHARS / 2 ? cut.slice(0, space) : cut}…`;
}

/** Sanitised, de-duplicated warnings whose total stays under MAX_WARNINGS_TOTAL_CHARS. */
export function sanitizeWarnings(warnings: readonly string[]): string[] {
  if (warnings.length === 0) return [];
  const out: string[] = [];
  let total = 0;
  const unique = [...new Set(warnings.map(sanitizeWarning).filter((w) => w !== ''))];
  for (const [i, w] of unique.entries()) {
    const len = codePointLength(w);
    // Reserve room for the "more" line so the cap holds even when warnings are dropped.
    if (total + len > MAX_WARNINGS_TOTAL_CHARS - 40) {
      out.push(`portguard: ${unique.length - i} more warning(s) omitted; see the webhook logs`);
      break;
    }
    out.push(w);
    total += len;
  }
  return out;
}

// A qualified name without prefix: the apiserver prepends "<webhook name>/" itself.
const ANNOTATION_KEY = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function sanitizeAnnotations(annotations: Record<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations)) {
    if (!ANNOTATION_KEY.test(key)) throw new Error(`invalid audit annotation key ${JSON.stringify(key)}`);
    const v = ALREADY_CLEAN.test(value)
      ? value
      : value.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL_CHARS, ' ');
    out[key] = v.length > MAX_ANNOTATION_VALUE_CHARS ? `${v.slice(0, MAX_ANNOTATION_VALUE_CHARS - 1)}…` : v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Binds an outcome to a request: echoes `uid`, encodes a non-empty patch (mutate only)
 * as base64 JSONPatch, and sanitises warnings and audit annotations.
 */
export function completeResponse(
  uid: string,
  outcome: Outcome,
  webhook: WebhookKind,
): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid, allowed: outcome.allowed };
  if (outcome.status) response.status = outcome.status;
  if (webhook === 'mutate' && outcome.allowed && outcome.patch && outcome.patch.length > 0) {
    response.patch = Buffer.from(JSON.stringify(outcome.patch), 'utf8').toString('base64');
    response.patchType = 'JSONPatch';
  }
  const warnings = sanitizeWarnings(outcome.warnings ?? []);
  if (warnings.length > 0) response.warnings = warnings;
  const annotations = sanitizeAnnotations(outcome.auditAnnotations ?? {});
  if (annotations) response.auditAnnotations = annotations;
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}
