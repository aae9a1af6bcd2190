/**
 * Fuzzing /validate and /mutate through `app.inject` with the real policy core and
 * script analyzer: mutated golden AdmissionReviews (a wrong type or a missing value at
 * any path), unknown kinds, truncated and non-JSON bodies, invalid UTF-8, deep nesting,
 * wrong content types and bodies over the limit. Every answer must be a well-formed
 * AdmissionReview (200 echoing the uid, or 4xx with a reason), never a 5xx or a stack
 * trace. Timings (event-loop delay, CPU per request) are figures for `npm run bench`,
 * never assertions here: a bound on a shared 2-core machine fails by chance.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/server/admission-request.js';
import { fixtureNames, loadFixture, testApp } from '../server/helpers.js';
import {
  type Answer,
  allPaths,
  expectNoLeak,
  expectWellFormed,
  type Json,
  nested,
  type PathPart,
  replaceAt,
} from './helpers.js';

const WEBHOOKS = ['validate', 'mutate'] as const;
type Webhook = (typeof WEBHOOKS)[number];

const fixtures: Json[] = fixtureNames().map(loadFixture);
const fixtureTexts = fixtures.map((f) => JSON.stringify(f));
const fixturePaths: PathPart[][][] = fixtures.map((f) => allPaths(f));

/** Paths every fixture has or that matter most; mutated more often than a random path. */
const KEY_PATHS: PathPart[][] = [
  [],
  ['apiVersion'],
  ['kind'],
  ['request'],
  ['request', 'uid'],
  ['request', 'kind'],
  ['request', 'kind', 'kind'],
  ['request', 'kind', 'group'],
  ['request', 'operation'],
  ['request', 'namespace'],
  ['request', 'name'],
  ['request', 'dryRun'],
  ['request', 'object'],
  ['request', 'oldObject'],
  ['request', 'object', 'kind'],
  ['request', 'object', 'apiVersion'],
  ['request', 'object', 'metadata'],
  ['request', 'object', 'metadata', 'name'],
  ['request', 'object', 'metadata', 'namespace'],
  ['request', 'object', 'metadata', 'annotations'],
  ['request', 'object', 'spec'],
  ['request', 'object', 'spec', 'type'],
  ['request', 'object', 'spec', 'ports'],
  ['request', 'object', 'spec', 'ports', 0],
  ['request', 'object', 'spec', 'ports', 0, 'nodePort'],
  ['request', 'object', 'spec', 'ports', 0, 'protocol'],
  ['request', 'object', 'spec', 'hostNetwork'],
  ['request', 'object', 'spec', 'nodeSelector'],
  ['request', 'object', 'spec', 'affinity'],
  ['request', 'object', 'spec', 'containers'],
  ['request', 'object', 'spec', 'initContainers'],
  ['request', 'object', 'spec', 'initContainers', 0, 'command'],
  ['request', 'object', 'spec', 'initContainers', 0, 'args'],
  ['request', 'object', 'spec', 'initContainers', 0, 'env'],
  ['request', 'object', 'spec', 'securityContext'],
  ['request', 'object', 'spec', 'securityContext', 'sysctls'],
  ['request', 'object', 'spec', 'template'],
  ['request', 'object', 'spec', 'template', 'spec'],
  ['request', 'object', 'spec', 'jobTemplate'],
];

/** Values of every JSON type (and "absent"), including the awkward ones. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(-1, 0, 65536, 2 ** 53, 1e308, -0, 0.5),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', 'x'.repeat(300), '__proto__', 'constructor', 'CREATE', 'Service', 'NodePort'),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.constant(nested(64)),
  fc.constant([[[[[[[[[[[[]]]]]]]]]]]]),
);

const pathIn = (fixture: number): fc.Arbitrary<PathPart[]> =>
  fc.oneof(
    fc.constantFrom(...KEY_PATHS),
    fc.nat().map((i) => {
      const paths = fixturePaths[fixture] ?? [];
      return paths.length > 0 ? (paths[i % paths.length] as PathPart[]) : [];
    }),
  );

/** Replaces a value only where the parent exists, so most mutations land inside the review. */
function mutate(review: unknown, at: PathPart[], value: unknown): unknown {
  let parent: Json = review;
  for (const part of at.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return review;
    parent = parent[part];
  }
  if (at.length > 0 && (parent === null || typeof parent !== 'object')) return review;
  return replaceAt(review, at, value);
}

/** A golden review with one to three values replaced by a wrong type or removed. */
const mutatedReview: fc.Arbitrary<unknown> = fc
  .nat({ max: fixtures.length - 1 })
  .chain((i) =>
    fc.tuple(fc.constant(i), fc.array(fc.tuple(pathIn(i), wrongValue), { minLength: 1, maxLength: 3 })),
  )
  .map(([i, edits]) => edits.reduce((r, [at, v]) => mutate(r, at, v), fixtures[i] as unknown));

/** A well-formed envelope around an object of any kind and any shape. */
const unknownKindReview: fc.Arbitrary<unknown> = fc
  .record({
    uid: fc.uuid(),
    kind: fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('Service', 'Pod', 'Deployment', 'CronJob', 'Secret', 'List', 'ServiceList'),
    ),
    operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'),
    spec: fc.jsonValue({ maxDepth: 4 }),
    old: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
    dryRun: fc.boolean(),
  })
  .map(({ uid, kind, operation, spec, old, dryRun }) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'example.com', version: 'v1', kind },
      operation,
      namespace: 'fuzz',
      dryRun,
      object: { apiVersion: 'v1', kind, metadata: { name: 'fuzz', namespace: 'fuzz' }, spec },
      oldObject: old === undefined ? null : { apiVersion: 'v1', kind, metadata: { name: 'fuzz' }, spec: old },
    },
  }));

interface RawCase {
  payload: string | Buffer;
  contentType: string | undefined;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/merge-patch+json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  '',
  undefined,
] as const;

/** Bodies that are not (or not only) JSON: truncations, garbage bytes, invalid UTF-8. */
const rawCase: fc.Arbitrary<RawCase> = fc.oneof(
  // A golden review cut anywhere.
  fc.tuple(fc.nat({ max: fixtureTexts.length - 1 }), fc.nat()).map(([i, n]) => {
    const text = fixtureTexts[i] ?? '';
    return { payload: text.slice(0, n % text.length), contentType: 'application/json' };
  }),
  // Random bytes, often invalid UTF-8.
  fc
    .uint8Array({ maxLength: 300 })
    .map((b) => ({ payload: Buffer.from(b), contentType: 'application/json' })),
  // A golden review with invalid UTF-8 spliced into it (inside strings or between tokens).
  fc
    .tuple(
      fc.nat({ max: fixtureTexts.length - 1 }),
      fc.nat(),
      fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]),
    )
    .map(([i, n, bad]) => {
      const b = Buffer.from(fixtureTexts[i] ?? '');
      const at = n % b.length;
      return {
        payload: Buffer.concat([b.subarray(0, at), Buffer.from(bad), b.subarray(at)]),
        contentType: 'application/json',
      };
    }),
  // Valid JSON of any shape.
  fc.jsonValue({ maxDepth: 5 }).map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json' })),
  // A golden review under every content type.
  fc
    .tuple(fc.nat({ max: fixtureTexts.length - 1 }), fc.constantFrom(...CONTENT_TYPES))
    .map(([i, contentType]) => ({ payload: fixtureTexts[i] ?? '', contentType })),
  // Prototype pollution attempts.
  fc
    .constantFrom(
      '{"__proto__":{"allowed":true},"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}',
      '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"p","constructor":{"prototype":{"x":1}}}}',
    )
    .map((payload) => ({ payload, contentType: 'application/json' })),
);

async function send(
  app: FastifyInstance,
  webhook: Webhook,
  payload: string | Buffer,
  contentType: string | undefined,
): Promise<Answer> {
  // A real socket yields to the event loop between requests; inject() alone would chain
  // every request in microtasks and the delay probe would measure the harness, not the app.
  await new Promise((r) => setImmediate(r));
  const res = await app.inject({
    method: 'POST',
    url: `/${webhook}?timeout=10s`,
    ...(contentType !== undefined ? { headers: { 'content-type': contentType } } : {}),
    payload,
  });
  const ct = res.headers['content-type'];
  return { status: res.statusCode, text: res.body, contentType: typeof ct === 'string' ? ct : undefined };
}

function parsedOrUndefined(payload: string | Buffer): unknown {
  try {
    return JSON.parse(payload.toString().replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

describe('fuzzing the admission endpoints', () => {
  let app: FastifyInstance;
  let lines: string[];
  beforeAll(async () => {
    const t = await testApp();
    app = t.app;
    lines = t.lines;
  });
  afterAll(async () => {
    await app.close();
  });

  const runs = (n: number) => ({ numRuns: n, seed: Number(process.env['FUZZ_SEED'] ?? 0x6f7267) });

  it.each([
    ['mutated golden reviews', mutatedReview, 600],
    ['unknown kinds and shapes', unknownKindReview, 300],
  ] as const)('%s: always a well-formed AdmissionReview', async (_name, arb, numRuns) => {
    await fc.assert(
      fc.asyncProperty(arb, fc.constantFrom(...WEBHOOKS), async (review, webhook) => {
        const answer = await send(app, webhook, JSON.stringify(review), 'application/json');
        expectWellFormed(answer, review, webhook);
      }),
      runs(numRuns),
    );
  });

  it('raw bodies: truncated, garbage, invalid UTF-8, any JSON, any content type', async () => {
    await fc.assert(
      fc.asyncProperty(rawCase, fc.constantFrom(...WEBHOOKS), async ({ payload, contentType }, webhook) => {
        const answer = await send(app, webhook, payload, contentType);
        expectWellFormed(answer, parsedOrUndefined(payload), webhook);
      }),
      runs(600),
    );
  });

  const golden = fixtures[0] as Json;
  // Built as text: structuredClone and JSON.stringify themselves recurse.
  const deep = (depth: number) =>
    JSON.stringify(replaceAt(golden, ['request', 'object', 'spec', 'x'], 'DEEP')).replace(
      '"DEEP"',
      `${'{"n":'.repeat(depth)}1${'}'.repeat(depth)}`,
    );
  it.each([
    ['64-level nesting inside the object', deep(64), [200]],
    ['5,000-level nesting inside the object', deep(5_000), [200]],
    ['64-level nested arrays as the whole body', `${'['.repeat(64)}${']'.repeat(64)}`, [400]],
    // Deeper than Go's encoding/json (so the apiserver) ever nests: refused before parsing.
    ['100,000 unclosed brackets', '['.repeat(100_000), [413]],
    ['100,000-level nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, [413]],
    ['a body over the limit', `{"pad":"${'x'.repeat(BODY_LIMIT_BYTES + 1024)}"}`, [413]],
    ['a body four times the limit', Buffer.alloc(4 * BODY_LIMIT_BYTES, 0x20), [413]],
    ['only whitespace', '   \n\t ', [400]],
    ['a NUL byte', '\u0000', [400]],
    ['a UTF-8 byte order mark before the JSON', `\uFEFF${fixtureTexts[0]}`, [200, 400]],
    ['a number too big for a double', '1e400', [400]],
    [
      'a uid of 10,000 characters',
      JSON.stringify(replaceAt(golden, ['request', 'uid'], 'u'.repeat(10_000))),
      [400],
    ],
  ] as const)('%s', async (_name, payload, statuses) => {
    for (const webhook of WEBHOOKS) {
      const answer = await send(app, webhook, payload, 'application/json');
      expect(statuses as readonly number[]).toContain(answer.status);
      expectWellFormed(answer, parsedOrUndefined(payload), webhook);
    }
  });

  it('declares a huge Content-Length and sends a small body: a clean 4xx, not a hang', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json', 'content-length': String(BODY_LIMIT_BYTES * 8) },
      payload: '{}',
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expectNoLeak(res.body);
  });

  it('logged every failure without a stack trace reaching the client, and no error-level log for bad input', () => {
    // Bad input is the client's fault: it is logged at warn level, never as an internal error.
    const errors = lines.filter((l) => JSON.parse(l).level >= 50);
    const unexpected = errors.filter((l) => !/"msg":"review failed"/.test(l));
    expect(unexpected).toEqual([]);
  });
});
