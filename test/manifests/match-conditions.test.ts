/**
 * The shipped matchConditions against the real core: the apiserver calls portguard only
 * when every condition is true, so a pod the core would deny (or the mutating webhook
 * would change) but the conditions skip is admitted unchecked. Generated pods vary every
 * fact by which a pod can reach its node; each is judged by `review()` and `planMutation()`
 * and by the CEL expressions exactly as written in manifests/base/webhooks.yaml.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '@marcbachmann/cel-js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { planMutation } from '../../src/core/mutate.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { podMayReachNode } from '../../src/core/node-reach.js';
import type { Json } from '../../src/core/object-view.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { type ClusterState, emptyState } from '../../src/core/state.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { MANIFESTS } from './kustomize.js';

interface Condition {
  name: string;
  expression: string;
}

const configs = parseAllDocuments(readFileSync(join(MANIFESTS, 'base/webhooks.yaml'), 'utf8')).map(
  (d) => d.toJS() as Json,
);
/** The entries that intercept pods; the namespace mode-label entry has its own test. */
const webhooks: { name: string; matchConditions: Condition[] }[] = configs
  .flatMap((c) => c.webhooks)
  .filter((w: Json) => w.rules.some((r: Json) => r.resources.includes('pods')));

/** What the apiserver does: call the webhook only when every condition is true. */
function sends(conditions: Condition[], request: Json): boolean {
  return conditions.every((c) => {
    const v = evaluate(c.expression, {
      request,
      object: request.object,
      oldObject: request.oldObject ?? null,
    });
    // A non-boolean result is an error to the apiserver, as bad as a throw.
    if (typeof v !== 'boolean') throw new Error(`${c.name} returned ${String(v)}`);
    return v;
  });
}

// worker-1 picks source ports anywhere; a Service holds nodePort 30584 (hostPort collision).
function state(): ClusterState {
  const { ranges } = parseNodeRanges({ 'node.worker-1': '{"ipLocalPortRange": "1024 65535"}' });
  const s = emptyState(ranges);
  s.nodesComplete = true;
  s.inventory.upsert({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'legacy', namespace: 'other' },
    spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30584 }] },
  });
  return s;
}

const WIDEN = 'sysctl -w net.ipv4.ip_local_port_range="1024 65535"';
/** Scripts that write node-relevant sysctls directly, through nsenter, or not at all. */
const SCRIPTS = [
  WIDEN,
  'echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range',
  `nsenter -t 1 -n ${WIDEN}`,
  `nsenter --net=/host/proc/1/ns/net ${WIDEN}`,
  'nsenter -t 1 -n sysctl -w net.ipv4.tcp_tw_recycle=1',
  'sysctl -w net.ipv4.ip_forward=0',
  `if [ "$POD_IP" != "$HOST_IP" ]; then ${WIDEN}; fi`,
  'sleep infinity',
];

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const portArb = fc.record(
  {
    containerPort: fc.constantFrom(80, 8080, 30584),
    hostPort: fc.constantFrom(0, 8080, 30584),
  },
  { requiredKeys: ['containerPort'] },
);

const containerArb = fc
  .record(
    {
      script: maybe(fc.constantFrom(...SCRIPTS)),
      ports: maybe(fc.array(portArb, { maxLength: 2 })),
    },
    { requiredKeys: [] },
  )
  .map(({ script, ports }) => {
    const c: Json = { name: 'c', image: 'busybox' };
    if (script !== undefined) c.command = ['/bin/sh', '-c', script];
    if (ports !== undefined) c.ports = ports;
    return c;
  });

const volumeArb = fc.constantFrom(
  { name: 'host', hostPath: { path: '/proc' } },
  { name: 'scratch', emptyDir: {} },
  { name: 'cfg', configMap: { name: 'x' } },
);

const sysctlArb = fc.constantFrom(
  { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
  { name: 'net/ipv4/ip_local_port_range', value: '20000 40000' },
  { name: 'net.ipv4.tcp_syncookies', value: '1' },
);

const list = <T>(arb: fc.Arbitrary<T>) => maybe(fc.array(arb, { maxLength: 2 }));

/** A pod spec where every field may be missing, as sparse as the apiserver could send. */
const specArb = fc
  .record(
    {
      hostNetwork: fc.boolean(),
      hostPID: fc.boolean(),
      volumes: list(volumeArb),
      securityContext: fc.record({ sysctls: list(sysctlArb) }, { requiredKeys: [] }),
      initContainers: list(containerArb),
      containers: list(containerArb),
      ephemeralContainers: list(containerArb),
    },
    { requiredKeys: [] },
  )
  .map((spec) => JSON.parse(JSON.stringify(spec)) as Json);

const pod = (spec: Json) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'apps' },
  spec,
});

/** CREATE of the pod, or the ephemeralcontainers UPDATE that added its ephemeral containers. */
const requestArb = fc.tuple(specArb, fc.boolean()).map(([spec, viaSubresource]) => {
  if (!viaSubresource || !spec.ephemeralContainers) {
    return { operation: 'CREATE', resource: { resource: 'pods' }, object: pod(spec) } as Json;
  }
  const { ephemeralContainers: _added, ...before } = spec;
  return {
    operation: 'UPDATE',
    resource: { resource: 'pods' },
    subResource: 'ephemeralcontainers',
    object: pod(spec),
    oldObject: pod(before),
  } as Json;
});

let reviewer: Reviewer;
beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
});

describe.each(webhooks.map((w) => [w.name, w.matchConditions] as const))(
  '%s matchConditions',
  (_, conditions) => {
    it('send every pod the core denies or the mutation changes, and never error', () => {
      const seen = { denied: 0, skipped: 0 };
      const s = state();
      fc.assert(
        fc.property(requestArb, (request) => {
          const sent = sends(conditions, request);
          const input = {
            operation: request.operation,
            object: request.object,
            oldObject: request.oldObject,
          };
          const r = reviewer.review(input, s, DEFAULT_POLICY);
          const mutated = planMutation(request.object, s, DEFAULT_POLICY, () => 0.5).changed;
          if (!r.allowed) seen.denied++;
          if (!sent) seen.skipped++;
          if (!r.allowed) expect(sent, `denied: ${r.denials.map((f) => f.path).join(', ')}`).toBe(true);
          if (mutated) expect(sent, 'mutated').toBe(true);
          // The core's own predicate must agree that a denied pod could reach the node.
          if (!r.allowed) expect(podMayReachNode(request.object.spec)).toBe(true);
        }),
        { numRuns: 400 },
      );
      // Both sides of the implication were exercised, so the property could fail.
      expect(seen.denied).toBeGreaterThan(0);
      expect(seen.skipped).toBeGreaterThan(0);
    });

    // The seeds the old condition missed, as the apiserver delivers them.
    it.each([
      ['hostPID, nsenter -t 1 -n in an ordinary container', { hostPID: true }, `nsenter -t 1 -n ${WIDEN}`],
      [
        'hostPath volume, nsenter --net',
        { volumes: [{ name: 'h', hostPath: { path: '/proc' } }] },
        `nsenter --net=/host/proc/1/ns/net ${WIDEN}`,
      ],
    ])('sends a pod with %s', (_name, extra, script) => {
      const object = pod({ ...extra, containers: [{ name: 'tune', command: ['/bin/sh', '-c', script] }] });
      expect(reviewer.review({ operation: 'CREATE', object }, state(), DEFAULT_POLICY).allowed).toBe(false);
      expect(sends(conditions, { operation: 'CREATE', resource: { resource: 'pods' }, object })).toBe(true);
    });
  },
);
