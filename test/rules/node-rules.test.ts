/** The node rules, evaluated on node data alone, as audit runs them. */
import { describe, expect, it } from 'vitest';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { nodeNodeportSourcePortsInUse } from '../../src/rules/node-nodeport-source-ports-in-use.js';
import { narrowedRange } from '../../src/rules/node-range-fix.js';
import { nodeRangeOverlapsNodeports } from '../../src/rules/node-range-overlaps-nodeports.js';

function ranges(data: Record<string, string>) {
  const { ranges, errors } = parseNodeRanges(data, 'test');
  expect(errors).toEqual([]);
  return ranges;
}

const wide = '{"ipLocalPortRange": "1024 65535"}';
const kernel = '{"ipLocalPortRange": "32768 60999"}';

interface Row {
  name: string;
  data: Record<string, string>;
  complete: boolean;
  expected: { name: string; nodes: string[]; overlap: string }[];
}

describe('node-range-overlaps-nodeports', () => {
  it.each<Row>([
    { name: 'kernel default everywhere', data: {}, complete: false, expected: [] },
    { name: 'a node on the kernel default', data: { 'node.a': kernel }, complete: true, expected: [] },
    {
      name: 'a widened node',
      data: { 'node.a': wide },
      complete: true,
      expected: [{ name: 'a', nodes: ['a'], overlap: '30000-32767' }],
    },
    {
      name: 'a widened node that reserves the whole NodePort range',
      data: { 'node.a': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-32767"}' },
      complete: true,
      expected: [],
    },
    {
      name: 'a partial reservation leaves the rest of the overlap',
      data: { 'node.a': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-31999"}' },
      complete: true,
      expected: [{ name: 'a', nodes: ['a'], overlap: '32000-32767' }],
    },
    {
      name: 'a range that starts inside the NodePort range',
      data: { 'node.a': '{"ipLocalPortRange": "32000 60999"}' },
      complete: true,
      expected: [{ name: 'a', nodes: ['a'], overlap: '32000-32767' }],
    },
    {
      name: 'nodes with the same profile are grouped',
      data: { 'node.b': wide, 'node.a': wide, 'node.c': kernel },
      complete: true,
      expected: [{ name: 'a (+1 with the same ranges)', nodes: ['a', 'b'], overlap: '30000-32767' }],
    },
    {
      name: 'a bad default counts for unknown nodes when the node list is incomplete',
      data: { default: wide },
      complete: false,
      expected: [{ name: '*', nodes: ['*'], overlap: '30000-32767' }],
    },
    {
      name: 'the default is ignored once every node is known',
      data: { default: wide, 'node.a': kernel },
      complete: true,
      expected: [],
    },
    {
      name: 'a custom NodePort range',
      data: {
        nodePortRange: '40000-40100',
        'node.a': kernel,
        'node.b': '{"ipLocalPortRange": "1024 29999"}',
      },
      complete: true,
      expected: [{ name: 'a', nodes: ['a'], overlap: '40000-40100' }],
    },
  ])('$name', ({ data, complete, expected }) => {
    const findings = nodeRangeOverlapsNodeports.evaluate({ ranges: ranges(data), nodesComplete: complete });
    expect(findings.map((f) => ({ name: f.name, nodes: f.nodes }))).toEqual(
      expected.map(({ name, nodes }) => ({ name, nodes })),
    );
    for (const [i, f] of findings.entries()) {
      expect(f.rule).toBe('node-range-overlaps-nodeports');
      expect(f.severity).toBe('warn');
      expect(f.kind).toBe('Node');
      expect(f.message).toContain(`at ${expected[i]!.overlap}`);
      expect(f.message).toContain('ip_local_reserved_ports');
    }
  });

  it('names the node, its range, the overlap and both fixes', () => {
    const [f] = nodeRangeOverlapsNodeports.evaluate({
      ranges: ranges({
        'node.worker-1': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "22,30000-30099"}',
      }),
      nodesComplete: true,
    });
    expect(f?.message).toBe(
      'node worker-1: ip_local_port_range "1024 65535" (reserved: 22,30000-30099) overlaps the NodePort range ' +
        '30000-32767 at 30100-32767, so outgoing connections can take a nodePort as source port and lose their ' +
        'replies. Fix: set net.ipv4.ip_local_reserved_ports to "22,30000-32767" (the write replaces the whole ' +
        'list) or narrow net.ipv4.ip_local_port_range to "32768 65535".',
    );
  });

  it('counts every node but lists at most 50', () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 120; i++) data[`node.n${String(i).padStart(3, '0')}`] = wide;
    const [f] = nodeRangeOverlapsNodeports.evaluate({ ranges: ranges(data), nodesComplete: true });
    expect(f?.nodeCount).toBe(120);
    expect(f?.nodes).toHaveLength(50);
    expect(f?.message).toContain('n000, n001, n002 and 117 more');
  });
});

describe('narrowedRange', () => {
  const np = { lo: 30000, hi: 32767 };
  it.each([
    { eph: { lo: 1024, hi: 65535 }, want: { lo: 32768, hi: 65535 } },
    { eph: { lo: 1024, hi: 31000 }, want: { lo: 1024, hi: 29999 } },
    { eph: { lo: 29000, hi: 33000 }, want: { lo: 29000, hi: 29999 } },
    { eph: { lo: 30000, hi: 32767 }, want: undefined },
    { eph: { lo: 31000, hi: 32000 }, want: undefined },
  ])('$eph.lo-$eph.hi → $want', ({ eph, want }) => {
    expect(narrowedRange(eph, np)).toEqual(want);
  });
});

const seen = (count: number, range = '30000-32767', entry = '"ipLocalPortRange": "1024 65535"') =>
  `{${entry}, "nodePortSourcePorts": {"range": "${range}", "count": ${count}}}`;

describe('node-nodeport-source-ports-in-use', () => {
  interface SourceRow {
    name: string;
    data: Record<string, string>;
    expected: { name: string; nodes: string[]; nodeCount: number }[];
  }
  it.each<SourceRow>([
    { name: 'no node measured', data: { 'node.a': wide, 'node.b': kernel }, expected: [] },
    { name: 'a measured node with no such connection', data: { 'node.a': seen(0) }, expected: [] },
    {
      name: 'a node with connections from NodePorts',
      data: { 'node.a': seen(3), 'node.b': seen(0) },
      expected: [{ name: 'a', nodes: ['a'], nodeCount: 1 }],
    },
    {
      name: 'nodes with the same ranges are grouped, most connections first',
      data: { 'node.a': seen(2), 'node.b': seen(9), 'node.c': seen(2), 'node.d': wide },
      expected: [{ name: 'b (+2 with the same ranges)', nodes: ['b', 'a', 'c'], nodeCount: 3 }],
    },
    {
      name: 'nodes on different ranges get a finding each',
      data: {
        'node.a': seen(1),
        'node.b': seen(4, '30000-32767', '"ipLocalPortRange": "32000 60999"'),
      },
      expected: [
        { name: 'a', nodes: ['a'], nodeCount: 1 },
        { name: 'b', nodes: ['b'], nodeCount: 1 },
      ],
    },
    {
      name: 'nodes counted against different ranges get a finding each',
      data: { 'node.a': seen(1), 'node.b': seen(1, '30000-31000') },
      expected: [
        { name: 'a', nodes: ['a'], nodeCount: 1 },
        { name: 'b', nodes: ['b'], nodeCount: 1 },
      ],
    },
    {
      name: 'a node whose ranges already reserve the NodePort range still counts (explicit binds)',
      data: { 'node.a': seen(1, '30000-32767', '"ipLocalReservedPorts": "30000-32767"') },
      expected: [{ name: 'a', nodes: ['a'], nodeCount: 1 }],
    },
  ])('$name', ({ data, expected }) => {
    const findings = nodeNodeportSourcePortsInUse.evaluate({ ranges: ranges(data), nodesComplete: true });
    expect(findings.map((f) => ({ name: f.name, nodes: f.nodes, nodeCount: f.nodeCount }))).toEqual(expected);
    for (const f of findings) {
      expect(f).toMatchObject({
        rule: 'node-nodeport-source-ports-in-use',
        severity: 'warn',
        kind: 'Node',
        namespace: '',
        path: 'nodePortSourcePorts',
      });
    }
  });

  it.each([
    [
      'one node: the count, the range, the consequence and the merged reserved value',
      {
        'node.worker-1':
          '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "22,30000-30099", "nodePortSourcePorts": {"range": "30000-32767", "count": 3}}',
      },
      'node worker-1: 3 connections use a port in the NodePort range 30000-32767 as source port right now; their ' +
        'replies can be captured by the NodePort rules (kubelet probes and API server calls fail at random this way). ' +
        'Fix: set net.ipv4.ip_local_reserved_ports to "22,30000-32767" (the write replaces the whole ' +
        'list) or narrow net.ipv4.ip_local_port_range to "32768 65535". Connections already open keep their ports ' +
        'until they close.',
    ],
    [
      'one connection',
      { 'node.a': seen(1) },
      'node a: 1 connection uses a port in the NodePort range 30000-32767 as source port right now;',
    ],
    [
      'a count measured against another range says so',
      { nodePortRange: '30000-32000', 'node.a': seen(2, '30000-32767') },
      "node a: 2 connections use a port in 30000-32767 (the range the node reporter counted against; the cluster's " +
        'NodePort range is 30000-32000) as source port right now;',
    ],
    [
      'ranges that already keep NodePorts out: explicit binds or old connections, and how to find them',
      { 'node.a': seen(5, '30000-32767', '"ipLocalPortRange": "32768 60999"') },
      'node a: 5 connections use a port in the NodePort range 30000-32767 as source port right now; their replies ' +
        'can be captured by the NodePort rules (kubelet probes and API server calls fail at random this way). ' +
        'The node\'s ip_local_port_range "32768 60999" (reserved: none) already keeps NodePorts out of automatic ' +
        'source ports, so these sockets were bound to their ports explicitly (a reserved port does not stop bind) or ' +
        "opened before the range changed. Find them with ss -tunp '( sport >= :30000 and sport <= :32767 )' and " +
        'make them use ports outside the NodePort range.',
    ],
    [
      'a group names the worst nodes with their counts and the total',
      { 'node.a': seen(2), 'node.b': seen(9), 'node.c': seen(1), 'node.d': seen(4), 'node.e': seen(1) },
      'nodes b (9), d (4), a (2) and 2 more: 17 connections in all use a port in the NodePort range 30000-32767 ' +
        'as source port right now;',
    ],
  ])('%s', (_name, data, message) => {
    const [f, ...rest] = nodeNodeportSourcePortsInUse.evaluate({ ranges: ranges(data), nodesComplete: true });
    expect(rest).toEqual([]);
    expect(f!.message.startsWith(message), f!.message).toBe(true);
  });

  it('counts every node but lists at most 50, the busiest first', () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) data[`node.n${String(i).padStart(4, '0')}`] = seen(i % 7);
    const findings = nodeNodeportSourcePortsInUse.evaluate({ ranges: ranges(data), nodesComplete: true });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    // 5,000 nodes, one in seven with no connection from a NodePort.
    expect(f!.nodeCount).toBe(5000 - Math.ceil(5000 / 7));
    expect(f!.nodes).toHaveLength(50);
    expect(f!.nodes.slice(0, 2)).toEqual(['n0006', 'n0013']);
    expect(f!.message).toMatch(
      /^nodes n0006 \(6\), n0013 \(6\), n0020 \(6\) and 4282 more: 14995 connections in all/,
    );
  });
});
