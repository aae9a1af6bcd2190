import { beforeAll, describe, expect, it } from 'vitest';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { MAX_NODES_LISTED } from '../../src/core/rule-context.js';
import { type ClusterState, emptyState } from '../../src/core/state.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { findingsOf } from '../core/rule-context.large-cluster.js';

const RULE = 'nodeport-host-listener-collision';

let reviewer: Reviewer;
beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
});

function state(data: Record<string, string>): ClusterState {
  const { ranges, errors } = parseNodeRanges(data, 'test');
  expect(errors).toEqual([]);
  return emptyState(ranges);
}

function service(ports: object[], extra: object = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'shop' },
    spec: { type: 'NodePort', ports, ...extra },
  };
}

describe('nodeport-host-listener-collision messages', () => {
  it('names the node, the port, the consequence and both fixes', () => {
    const s = state({
      'node.ip-10-0-1-5':
        '{"ipLocalPortRange":"32768 60999","ipLocalReservedPorts":"","listeners":{"tcp":"22,10250,30080","udp":"53"},"listenersTruncated":false}',
    });
    const [f, ...rest] = findingsOf(reviewer, service([{ port: 80, nodePort: 30080 }]), s, RULE);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'deny', path: 'spec.ports[0].nodePort', ports: [30080] });
    expect(f!.unknown).toBeUndefined();
    expect(f!.message).toBe(
      'nodePort 30080/TCP is held by a listening socket on node ip-10-0-1-5 (a process outside Kubernetes: no ' +
        'known pod declares the port); the NodePort rules would take its traffic. Choose another nodePort, or ' +
        'move that process off the NodePort range 30000-32767.',
    );
  });

  it('says what a held healthCheckNodePort breaks', () => {
    const s = state({ 'node.a': '{"listeners":{"tcp":"31001"}}' });
    const svc = service([{ port: 443, nodePort: 31000 }], {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 31001,
    });
    const [f] = findingsOf(reviewer, svc, s, RULE);
    expect(f!.path).toBe('spec.healthCheckNodePort');
    expect(f!.message).toContain("kube-proxy's health check server cannot bind it there");
    expect(f!.message).toContain('Choose another healthCheckNodePort');
  });

  it.each([
    ['TCP', '-lnt'],
    ['UDP', '-lnu'],
    ['SCTP', '-lnS'],
  ])('a cut %s list is an unknown warning with the ss command to look', (protocol, flags) => {
    const s = state({
      'node.a': '{"listeners":{"tcp":"22","udp":"53","sctp":"9"},"listenersTruncated":true}',
    });
    const [f] = findingsOf(reviewer, service([{ port: 80, protocol, nodePort: 30080 }]), s, RULE);
    expect(f).toMatchObject({ severity: 'warn', unknown: true, nodes: ['a'] });
    expect(f!.message).toBe(
      `nodePort 30080/${protocol} may be held by a listening socket on node a: the node reporter's list of ` +
        `listeners there was cut at its cap and does not show the port. Check with ss ${flags} 'sport = :30080' ` +
        'on those nodes.',
    );
  });

  it.each(['UDP', 'SCTP'])(
    'a cut list that does not cover %s says nothing about it (that protocol was not read)',
    (protocol) => {
      const s = state({ 'node.a': '{"listeners":{"tcp":"22"},"listenersTruncated":true}' });
      expect(findingsOf(reviewer, service([{ port: 80, protocol, nodePort: 30080 }]), s, RULE)).toEqual([]);
    },
  );

  it('policy unknownNodeWrites: deny turns the unknown warning into a denial', () => {
    const s = state({ 'node.a': '{"listeners":{"tcp":"22"},"listenersTruncated":true}' });
    const policy = { ...DEFAULT_POLICY, unknownNodeWrites: 'deny' as const };
    const r = reviewer.review(
      { operation: 'CREATE', object: service([{ port: 80, nodePort: 30080 }]) },
      s,
      policy,
    );
    expect(r.allowed).toBe(false);
    expect(r.denials.map((f) => f.rule)).toEqual([RULE]);
  });

  it('a denial on some nodes leaves out the unknown warning for the cut lists of others', () => {
    const s = state({
      'node.a': '{"listeners":{"tcp":"30080"}}',
      'node.b': '{"listeners":{"tcp":"22"},"listenersTruncated":true}',
    });
    const found = findingsOf(reviewer, service([{ port: 80, nodePort: 30080 }]), s, RULE);
    expect(found.map((f) => [f.severity, f.nodes])).toEqual([['deny', ['a']]]);
  });

  it('judges a nodePort outside the configured NodePort range too', () => {
    const s = state({ nodePortRange: '30000-30999', 'node.a': '{"listeners":{"tcp":"31500"}}' });
    const [f] = findingsOf(reviewer, service([{ port: 80, nodePort: 31500 }]), s, RULE);
    expect(f).toMatchObject({ severity: 'deny', nodes: ['a'] });
  });
});

describe('nodeport-host-listener-collision on large clusters', () => {
  it.each([5000, 120, 4])('%d listening nodes: first names listed, all counted', (count) => {
    const data: Record<string, string> = {};
    // Every third node listens; the others were measured and do not.
    for (let i = 0; i < count * 3; i++) {
      data[`node.w-${i}`] = i % 3 === 0 ? '{"listeners":{"tcp":"22,30080"}}' : '{"listeners":{"tcp":"22"}}';
    }
    const [f, ...rest] = findingsOf(reviewer, service([{ port: 80, nodePort: 30080 }]), state(data), RULE);
    expect(rest).toEqual([]);
    expect(f!.nodeCount).toBe(count);
    expect(f!.nodes).toHaveLength(Math.min(count, MAX_NODES_LISTED));
    expect(f!.nodes.slice(0, 3)).toEqual(['w-0', 'w-3', 'w-6']);
    expect(f!.message).toContain(
      count > 3 ? `on nodes w-0, w-3, w-6 and ${count - 3} more (` : 'on nodes w-0',
    );
  });
});
