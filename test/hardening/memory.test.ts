/**
 * The largest legal reviews against the real binary (`portguard serve` as a child process)
 * with the shipped heap setting: an UPDATE of two ~3 MiB Deployments in the worst realistic
 * shapes (170,000 env entries; as many script containers as fit), and the hostile bodies
 * the limits exist for. The process must survive, answer each with an AdmissionReview, and
 * its peak RSS (VmHWM) must stay below the shipped memory limit with margin. Only memory is
 * asserted, never time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { BODY_LIMIT_BYTES } from '../../src/server/admission-request.js';
import { MAX_JSON_CONTAINERS } from '../../src/server/json-shape.js';
import { buildCli, repoRoot } from './build.js';
import { type Json, tempCertificates } from './helpers.js';
import { spawnServe } from './serve-process.js';

const MiB = 1024 * 1024;
/** The apiserver's limit on one write request, so on one object. */
const OBJECT_LIMIT = 3 * MiB;
/** Peak RSS allowed: the shipped 320Mi limit less a 15 % margin for what a test cannot reproduce. */
const RSS_BOUND_MIB = 272;

/** NODE_OPTIONS and the memory limit of the portguard container in the shipped Deployment. */
function shippedSettings(): { nodeOptions: string; limitMiB: number } {
  const text = readFileSync(path.join(repoRoot, 'manifests/base/deployment.yaml'), 'utf8');
  const deployment = parseAllDocuments(text)
    .map((d) => d.toJS() as Json)
    .find((d) => d?.kind === 'Deployment');
  const container = deployment.spec.template.spec.containers.find((c: Json) => c.name === 'portguard');
  const nodeOptions = container.env.find((e: Json) => e.name === 'NODE_OPTIONS').value as string;
  const limit = String(container.resources.limits.memory);
  expect(limit).toMatch(/^\d+Mi$/);
  return { nodeOptions, limitMiB: Number.parseInt(limit, 10) };
}

/** A hostNetwork Deployment (so every script is analysed) whose JSON is just under 3 MiB. */
function deployment(
  name: string,
  containers: (i: number) => Json,
  fill: (c: Json[], i: number) => boolean,
): Json {
  const list: Json[] = [];
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { hostNetwork: true, containers: list },
      },
    },
  };
  const base = JSON.stringify(object).length;
  let size = base;
  for (let i = 0; ; i++) {
    const c = containers(i);
    const bytes = JSON.stringify(c).length + 1;
    if (size + bytes > OBJECT_LIMIT - 4096) break;
    list.push(c);
    size += bytes;
    if (!fill(list, i)) break;
  }
  // Fill the last container's env up to the limit with the shortest legal entries.
  return object;
}

/** 20 script containers sharing 170,000-odd env entries of the shortest legal form. */
function envHeavy(name: string, value: string): Json {
  const perContainer = 8_700;
  return deployment(
    name,
    (i) => ({
      name: `c${i}`,
      image: 'busybox',
      command: ['sh', '-c', `sysctl -w net.core.somaxconn=${value}; echo "$E${i}"`],
      env: Array.from({ length: perContainer }, (_, j) => ({ name: `E${j}` })),
    }),
    (_list, i) => i < 19,
  );
}

/** As many containers as fit, each with its own script and a few env entries. */
function containerHeavy(name: string, value: string): Json {
  return deployment(
    name,
    (i) => ({
      name: `c${i}`,
      image: 'busybox',
      command: ['sh', '-c', `sysctl -w net.ipv4.tcp_fin_timeout=${i % 60}${value}`],
      env: [{ name: 'A', value: `${i}` }, { name: 'B' }],
    }),
    () => true,
  );
}

function update(uid: string, object: Json, oldObject: Json): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: object.metadata.name,
      namespace: 'shop',
      operation: 'UPDATE',
      userInfo: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
      object,
      oldObject,
      dryRun: false,
    },
  });
}

/** A Service review with `pad` spliced into the object (raw JSON text). */
function serviceWith(uid: string, kind: string, pad: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind },
      operation: 'CREATE',
      namespace: 'shop',
      name: 'svc',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'svc', namespace: 'shop' },
        spec: { type: 'ClusterIP', ports: [{ port: 80 }], pad: 'PAD' },
      },
    },
  }).replace('"PAD"', pad);
}

/**
 * Resets the peak resident set of `pid` to its current RSS (Linux 4.0+), so the next
 * `peakRssMiB` is the peak since this call rather than over the process's life.
 */
function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Peak resident set of `pid` so far, in MiB (Linux). */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  expect(kb).toBeDefined();
  return Number(kb) / 1024;
}

/**
 * The cases by process: the largest legal Deployment UPDATEs in one, the hostile bodies in
 * another. A process keeps part of what a request grew its heap to, so more cases per process
 * would raise each later figure; two keep them near a fresh process's.
 */
type Group = 'deployments' | 'hostile';
const cases: [string, 'validate' | 'mutate', () => string, number, Group][] = [
  [
    'UPDATE of two ~3 MiB Deployments with 170,000 env entries each, to /validate',
    'validate',
    () => update('env-validate', envHeavy('env', '1024'), envHeavy('env', '128')),
    200,
    'deployments',
  ],
  [
    'the same UPDATE to /mutate',
    'mutate',
    () => update('env-mutate', envHeavy('env', '1024'), envHeavy('env', '128')),
    200,
    'deployments',
  ],
  [
    'UPDATE of two ~3 MiB Deployments of small script containers, to /validate',
    'validate',
    () => update('containers-validate', containerHeavy('many', '1'), containerHeavy('many', '2')),
    200,
    'deployments',
  ],
  [
    'a body of empty objects up to the body limit',
    'validate',
    () => `[${'{},'.repeat(Math.floor(BODY_LIMIT_BYTES / 3) - 2)}{}]`,
    413,
    'hostile',
  ],
  [
    'a review carrying as many empty objects as the pre-scan admits',
    'mutate',
    () => serviceWith('empties', 'Service', `[${'{},'.repeat(MAX_JSON_CONTAINERS - 20)}{}]`),
    200,
    'hostile',
  ],
  [
    'a kind of nearly 8 MiB',
    'validate',
    () => {
      const envelope = serviceWith('huge-kind', 'KIND', '1');
      return envelope.replace(
        '"KIND"',
        JSON.stringify('K'.repeat(BODY_LIMIT_BYTES - envelope.length - 1024)),
      );
    },
    200,
    'hostile',
  ],
];

describe('memory of the largest legal reviews (real binary, shipped heap)', () => {
  let main: string;
  let certs: Awaited<ReturnType<typeof tempCertificates>>;
  let agent: Agent;
  const processes = new Map<Group, Awaited<ReturnType<typeof spawnServe>>>();
  const settings = shippedSettings();
  beforeAll(async () => {
    main = buildCli();
    certs = await tempCertificates();
    agent = new Agent({ connect: { ca: [certs.bundle.caCert] } });
  }, 180_000);
  afterAll(async () => {
    for (const p of processes.values()) p.child.kill('SIGKILL');
    await agent?.close();
    await rm(certs.dir, { recursive: true, force: true });
  });

  it('runs with the shipped heap setting, below the shipped memory limit', () => {
    expect(settings.nodeOptions).toMatch(/--max-old-space-size=\d+/);
    expect(RSS_BOUND_MIB).toBeLessThan(settings.limitMiB);
  });

  // A process answers each case of its group in turn, as a replica does; the peak is reset
  // before each request, so each figure is that request's (on top of what the earlier ones
  // left resident).
  it.each(cases)(
    `%s: answered, the process alive, peak RSS under ${RSS_BOUND_MIB} MiB`,
    async (name, webhook, body, status, group) => {
      let served = processes.get(group);
      if (!served) {
        served = await spawnServe(main, certs, [], { ...process.env, NODE_OPTIONS: settings.nodeOptions });
        processes.set(group, served);
      }
      const pid = served.child.pid!;
      const payload = body();
      expect(payload.length).toBeLessThanOrEqual(BODY_LIMIT_BYTES);
      resetPeakRss(pid);
      const res = await request(`https://127.0.0.1:${served.port}/${webhook}?timeout=10s`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        dispatcher: agent,
        headersTimeout: 120_000,
        bodyTimeout: 120_000,
      });
      const answer = (await res.body.json()) as Json;
      expect(res.statusCode).toBe(status);
      expect(answer.kind).toBe('AdmissionReview');
      expect(served.child.exitCode).toBeNull();
      const peak = peakRssMiB(pid);
      console.log(`${name}: ${payload.length} bytes, VmHWM ${peak.toFixed(0)} MiB`);
      expect(peak).toBeLessThan(RSS_BOUND_MIB);
    },
    180_000,
  );
});
