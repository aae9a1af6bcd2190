import { beforeAll, describe, expect, it } from 'vitest';
import { PortSet } from '../../src/core/portset.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { describeNodes, MAX_NODES_LISTED } from '../../src/core/rule-context.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { allNodesOf, findingsOf, largeState } from '../core/rule-context.large-cluster.js';

const RULE = 'port-range-overlaps-nodeports';
let reviewer: Reviewer;
let tinyReviewer: Reviewer;
beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
  // Every script is over its byte limit: the "could not be analysed" path.
  tinyReviewer = createReviewer({ scripts: await createScriptAnalyzer({ maxBytes: 8 }) });
});

function tuner(script: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'tuner', namespace: 'shop' },
    spec: {
      hostNetwork: true,
      ...spec,
      initContainers: [{ name: 'tune', image: 'busybox:1.36', command: ['sh', '-c', script] }],
      containers: [{ name: 'app', image: 'app:1' }],
    },
  };
}

const WIDEN = 'sysctl -w net.ipv4.ip_local_port_range="1024 65535"';
const NODE_PORTS = PortSet.range(30000, 32767);

describe('port-range-overlaps-nodeports on large clusters', () => {
  it.each([5000, 41, 2])(
    '%d nodes: a node write lists the unreserved nodes first and counts all',
    (count) => {
      const state = largeState(count);
      const pod = tuner(WIDEN);
      // Profile 1 reserves the whole NodePort range, so its nodes are not affected.
      const all = allNodesOf(pod, state, (g) => !NODE_PORTS.subtract(g.profile.reserved).isEmpty());
      const [f, ...rest] = findingsOf(reviewer, pod, state, RULE);
      expect(rest).toEqual([]);
      expect(f!.severity).toBe('deny');
      expect(f!.nodes).toEqual(all.slice(0, MAX_NODES_LISTED));
      expect(f!.nodeCount).toBe(all.length);
      expect(f!.message).toContain(`(hostNetwork script) on ${describeNodes(all)}, so ports`);
    },
  );

  it('counts 3,750 of 5,000 nodes plus the default ones in the message', () => {
    const [f] = findingsOf(reviewer, tuner(WIDEN), largeState(5000), RULE);
    expect(f!.nodeCount).toBe(3751);
    expect(f!.message).toContain('on w-0, w-4, w-8 and 3748 more, so ports');
  });

  it('is no finding when every placed node reserves the overlap', () => {
    expect(findingsOf(reviewer, tuner(WIDEN, { nodeName: 'w-1' }), largeState(5000), RULE)).toEqual([]);
  });

  it.each([
    ['an unresolvable range', 'sysctl -w net.ipv4.ip_local_port_range="$(cat /etc/range)"', reviewer],
    [
      'an unresolvable reservation',
      `${WIDEN}\nsysctl -w net.ipv4.ip_local_reserved_ports="$(cat /etc/reserved)"`,
      reviewer,
    ],
    ['a script it cannot analyse', WIDEN, undefined],
  ])('%s warns with every placed node counted', (_name, script, r) => {
    const state = largeState(5000);
    const pod = tuner(script);
    const all = allNodesOf(pod, state, () => true);
    const [f, ...rest] = findingsOf(r ?? tinyReviewer, pod, state, RULE);
    expect(rest).toEqual([]);
    expect(f!.severity).toBe('warn');
    expect(f!.nodes).toEqual(all.slice(0, MAX_NODES_LISTED));
    expect(f!.nodeCount).toBe(5001);
  });
});

describe('port-range-overlaps-nodeports: scripts it cannot analyse', () => {
  it.each([
    ['hostNetwork', { hostNetwork: true }, 'script of a hostNetwork container could not be analysed'],
    // It may nsenter the node's network namespace.
    ['hostPID', { hostNetwork: false, hostPID: true }, 'script of a hostPID container could not be analysed'],
    // It may `nsenter --net=/host/proc/1/ns/net` through the host mount.
    [
      'a hostPath volume',
      { hostNetwork: false, volumes: [{ name: 'host', hostPath: { path: '/' } }] },
      'script of a hostPath-volume container could not be analysed',
    ],
    [
      'neither: the script can only reach its own namespace',
      { hostNetwork: false, volumes: [{ name: 'cfg', configMap: { name: 'x' } }] },
      undefined,
    ],
  ])('%s', (_name, spec, message) => {
    const found = findingsOf(tinyReviewer, tuner(WIDEN, spec), largeState(3), RULE);
    if (message === undefined) {
      expect(found).toEqual([]);
      return;
    }
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('warn');
    expect(found[0]!.message).toContain(message);
  });
});

describe('port-range-overlaps-nodeports: a write found before a limit is still judged', () => {
  const NSENTER = 'nsenter --net=/host/proc/1/ns/net -- sysctl -w net.ipv4.ip_local_port_range="1024 65535"';
  const hostPath = { hostNetwork: false, volumes: [{ name: 'host', hostPath: { path: '/' } }] };
  const TAILS: [string, string][] = [
    ['a 200 KiB comment', `# ${'x'.repeat(200 * 1024)}`],
    ['nesting past the walker limit', `${'if true; then\n'.repeat(300)}:\n${'fi\n'.repeat(300)}`],
    ['functions that call each other in a loop', 'f() { g; g; g; }\ng() { f; f; f; }\nf'],
    ['30,000 statements', ':\n'.repeat(30_000)],
  ];
  it.each(
    TAILS.flatMap(([tail, text]) => [
      [`hostNetwork, then ${tail}`, `${WIDEN}\n${text}`, {}] as const,
      [`hostPath nsenter --net, then ${tail}`, `${NSENTER}\n${text}`, hostPath] as const,
      [
        `hostPID nsenter -t 1 -n, then ${tail}`,
        `nsenter -t 1 -n ${WIDEN}\n${text}`,
        { hostNetwork: false, hostPID: true },
      ] as const,
    ]),
  )('%s: denied', (_name, script, spec) => {
    const found = findingsOf(reviewer, tuner(script, spec), largeState(3), RULE);
    expect(found.map((f) => f.severity)).toContain('deny');
    expect(found.find((f) => f.severity === 'deny')!.path).toBe('spec.initContainers[0].command');
  });
});
