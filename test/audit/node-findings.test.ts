import { describe, expect, it } from 'vitest';
import { narrowedRange, nodeRangeFindings } from '../../src/audit/node-findings.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';

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

describe('nodeRangeFindings', () => {
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
    const findings = nodeRangeFindings(ranges(data), complete);
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
    const [f] = nodeRangeFindings(
      ranges({
        'node.worker-1': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "22,30000-30099"}',
      }),
      true,
    );
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
    const [f] = nodeRangeFindings(ranges(data), true);
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
