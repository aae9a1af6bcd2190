/**
 * Shared setup for the hardening tests: well-formedness checks on every answer, JSON path
 * helpers for "wrong type in every field" fuzzing, and certificates for the real HTTPS server.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { type CertificateBundle, generateCertificates } from '../../src/tls/generate.js';
import { writeCertificates } from '../../src/tls/write-certs.js';

// biome-ignore lint/suspicious/noExplicitAny: AdmissionReview bodies are free-form JSON.
export type Json = any;

/**
 * Things that only appear in a leaked stack trace or internal detail: V8 frames
 * ("    at fn (file:line:col)"), absolute source paths, file:line positions.
 */
export const LEAK_PATTERNS: readonly RegExp[] = [
  /\n\s+at /,
  /\bat [^\s()]+ \([^)]*:\d+:\d+\)/,
  /(?:file:\/\/|\/work\/|\/home\/|node_modules|node:internal)/,
  /\.(?:ts|js|mjs):\d+(?::\d+)?/,
];

/** Fails when `text` looks like it carries a stack trace or a source path. */
export function expectNoLeak(text: string): void {
  for (const p of LEAK_PATTERNS) expect(text, `response leaks ${p}`).not.toMatch(p);
}

/** The uid the server can be expected to echo: a string of 1–256 characters at request.uid. */
export function readableUid(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const req = (body as { request?: unknown }).request;
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return undefined;
  const uid = (req as { uid?: unknown }).uid;
  return typeof uid === 'string' && uid.length >= 1 && uid.length <= 256 ? uid : undefined;
}

export interface Answer {
  status: number;
  text: string;
  contentType: string | undefined;
}

/**
 * The contract every /validate and /mutate answer must meet: a 200 AdmissionReview
 * (echoing the uid) or a 4xx AdmissionReview with a reason; never 5xx, never a trace.
 * `sent` is the parsed request body when it was JSON.
 */
export function expectWellFormed(answer: Answer, sent: unknown, webhook: 'validate' | 'mutate'): Json {
  expect(answer.status, answer.text.slice(0, 300)).toBeLessThan(500);
  expect([200, 400, 413, 415]).toContain(answer.status);
  expect(answer.contentType ?? '').toMatch(/^application\/json/);
  expectNoLeak(answer.text);
  const body = JSON.parse(answer.text) as Json;
  expect(body.apiVersion).toBe('admission.k8s.io/v1');
  expect(body.kind).toBe('AdmissionReview');
  expect(typeof body.response.allowed).toBe('boolean');
  expect(typeof body.response.uid).toBe('string');
  const uid = readableUid(sent);
  if (answer.status === 200) {
    expect(body.response.uid).toBe(uid);
    if (body.response.patch !== undefined) {
      expect(webhook).toBe('mutate');
      expect(body.response.patchType).toBe('JSONPatch');
      expect(Array.isArray(JSON.parse(Buffer.from(body.response.patch, 'base64').toString('utf8')))).toBe(
        true,
      );
    }
    if (!body.response.allowed) expect([403, 500]).toContain(body.response.status.code);
  } else {
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.code).toBe(answer.status);
    expect(typeof body.response.status.message).toBe('string');
    expect(body.response.status.message.length).toBeGreaterThan(0);
    // An envelope error still names the request it answers, when the uid was readable.
    // (A body the JSON parser refuses, e.g. one with a "__proto__" key, has no uid to echo.)
    if (uid !== undefined && /not a valid AdmissionReview/.test(body.response.status.message))
      expect(body.response.uid).toBe(uid);
    else if (body.response.uid !== '') expect(body.response.uid).toBe(uid);
  }
  for (const w of body.response.warnings ?? []) {
    expect(typeof w).toBe('string');
    expect(Array.from(w as string).length).toBeLessThanOrEqual(120);
  }
  return body;
}

export type PathPart = string | number;

/** Every path to a value inside `value` (objects and arrays), parents before children. */
export function allPaths(value: unknown, prefix: PathPart[] = [], out: PathPart[][] = []): PathPart[][] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...prefix, i]);
      allPaths(v, [...prefix, i], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k]);
      allPaths(v, [...prefix, k], out);
    }
  }
  return out;
}

/** A deep copy of `root` with the value at `at` replaced (or removed when `value` is undefined). */
export function replaceAt(root: unknown, at: readonly PathPart[], value: unknown): unknown {
  const copy = structuredClone(root) as Json;
  if (at.length === 0) return value;
  let parent = copy;
  for (const part of at.slice(0, -1)) parent = parent[part];
  const last = at[at.length - 1] as PathPart;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = value;
  return copy;
}

/** `depth` levels of nested objects around `leaf`. */
export function nested(depth: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { n: v };
  return v;
}

const loopback = { extraDnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };

/** A fresh CA and loopback serving certificate written to a temp directory. */
export async function tempCertificates(
  bundle?: CertificateBundle,
): Promise<{ dir: string; bundle: CertificateBundle; cert: string; key: string; ca: string }> {
  const b = bundle ?? (await generateCertificates(loopback));
  const dir = await mkdtemp(path.join(tmpdir(), 'portguard-hardening-'));
  const files = await writeCertificates(dir, b);
  return { dir, bundle: b, cert: files.cert, key: files.key, ca: files.caCert };
}

/** New certificates for the loopback names (for rotation). */
export function loopbackCertificates(): Promise<CertificateBundle> {
  return generateCertificates(loopback);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
