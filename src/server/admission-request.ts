/**
 * Decoding of the AdmissionReview envelope. Only the envelope is validated: the object
 * under review is passed to the core exactly as received (no coercion, no defaults,
 * no removed fields), because the patch is diffed against it and the rules must see
 * what the apiserver would store.
 */
import { Ajv } from 'ajv';
import type { UserInfo } from '../core/mode-label-guard.js';
import { describeSchemaErrors } from '../core/schema-errors.js';
import type { Operation } from '../core/types.js';

/**
 * Largest request body accepted. The apiserver refuses a write request over 3 MiB
 * (`--max-request-bytes`'s default for JSON/YAML/protobuf bodies), and etcd stores at
 * most 1.5 MiB per request by default, so a stored object, the oldObject of an UPDATE,
 * is smaller still. The worst legal review is an UPDATE:
 *   object 3 MiB + oldObject 3 MiB + envelope (uid, kind, userInfo with groups and
 *   extra, options: well under 64 KiB)                                   ≈ 6.1 MiB.
 * The apiserver re-encodes both objects as JSON: what arrived as JSON re-encodes to about
 * its own size; Go's encoder turns `<`, `>`, `&` into six-byte `\u003c` escapes, and an
 * object sent as protobuf has no JSON punctuation. 8 MiB keeps ~1.9 MiB (30 % of two
 * objects) for that growth. A body over it is answered 413 (an errored AdmissionReview,
 * so under failurePolicy: Fail the write is refused with that reason); only an object
 * mostly made of escaped characters gets there, and it exceeds etcd's default limit too.
 * The heap a body can take is bounded separately by its shape (json-shape.ts).
 */
export const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The fields of `request` that portguard reads; everything else is ignored. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  operation: Operation;
  name?: string;
  namespace?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  /** Who asked (the mode label guard's admins); absent when missing or malformed. */
  userInfo?: UserInfo;
}

export interface AdmissionReviewRequest {
  apiVersion: string;
  kind: 'AdmissionReview';
  request: AdmissionRequest;
}

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

const objectOrNull = { anyOf: [{ type: 'object' }, { type: 'null' }] } as const;

const envelopeSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { const: ADMISSION_API_VERSION },
    kind: { const: 'AdmissionReview' },
    request: {
      type: 'object',
      required: ['uid', 'kind', 'operation'],
      properties: {
        uid: { type: 'string', minLength: 1, maxLength: 256 },
        kind: {
          type: 'object',
          required: ['group', 'version', 'kind'],
          properties: {
            group: { type: 'string' },
            version: { type: 'string' },
            kind: { type: 'string' },
          },
        },
        operation: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
        name: { type: 'string' },
        namespace: { type: 'string' },
        object: objectOrNull,
        oldObject: objectOrNull,
        dryRun: { type: 'boolean' },
      },
    },
  },
} as const;

// No coerceTypes/useDefaults/removeAdditional: validation must never change the body.
// verbose: the errors carry the schema and data that `describeSchemaErrors` names.
const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
const validateEnvelope = ajv.compile(envelopeSchema);

/** A request body that is not a usable AdmissionReview; becomes a 400 with `message`. */
export class MalformedReviewError extends Error {
  override readonly name = 'MalformedReviewError';
  readonly statusCode = 400;
  /** The request uid, when it could be read, so the error response can still echo it. */
  readonly uid: string;
  constructor(message: string, uid = '') {
    super(message);
    this.uid = uid;
  }
}

function uidOf(body: unknown): string {
  const uid = (body as { request?: { uid?: unknown } } | null)?.request?.uid;
  return typeof uid === 'string' && uid.length <= 256 ? uid : '';
}

/**
 * userInfo, loosely: the schema does not check it, because only the mode label guard reads
 * it and a malformed one must not fail every other review. What is not a string name or
 * string groups is dropped, and a request without a name or groups is nobody's (not an admin).
 */
function userInfoOf(raw: unknown): UserInfo | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { username, groups } = raw as { username?: unknown; groups?: unknown };
  const user: UserInfo = {};
  if (typeof username === 'string') user.username = username;
  if (Array.isArray(groups)) user.groups = groups.filter((g): g is string => typeof g === 'string');
  return user;
}

/**
 * Checks the envelope and returns the typed request. Throws MalformedReviewError whose
 * message lists the first five problems by JSON path, as the policy and node-data errors
 * are worded; a wrong scalar is shown capped at 40 characters (`describeValue`), a map or
 * an array (the object under review) only by its type.
 */
export function parseAdmissionReview(body: unknown): AdmissionReviewRequest {
  if (body === undefined || body === null || body === '') {
    throw new MalformedReviewError(
      'request body is empty; expected an AdmissionReview (admission.k8s.io/v1)',
    );
  }
  if (!validateEnvelope(body)) {
    const detail = describeSchemaErrors(validateEnvelope.errors).slice(0, 5).join('; ');
    throw new MalformedReviewError(
      `not a valid AdmissionReview (admission.k8s.io/v1): ${detail}`,
      uidOf(body),
    );
  }
  const review = body as unknown as AdmissionReviewRequest;
  // null means "absent" on the wire (CREATE has oldObject: null, DELETE has object: null).
  // Shallow copy: the body itself is left untouched.
  const req = review.request;
  return {
    ...review,
    request: {
      ...req,
      object: req.object ?? undefined,
      oldObject: req.oldObject ?? undefined,
      userInfo: userInfoOf(req.userInfo),
    },
  };
}
