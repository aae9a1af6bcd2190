import { describe, expect, it } from 'vitest';
import { completeRanges } from '../../src/audit/ranges-source.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';

describe('completeRanges', () => {
  it('holds exactly the listed nodes, with their labels taken as complete', () => {
    const fromData = parseNodeRanges(
      {
        'node.a': '{"ipLocalPortRange": "1024 65535", "labels": {"pool": "x"}, "listeners": {"tcp": "22"}}',
        'node.gone': '{}',
      },
      'test',
    ).ranges;
    expect([...fromData.nodes.values()].map((n) => n.labelsComplete)).toEqual([false, false]);
    const ranges = completeRanges(fromData, [
      { name: 'a', labels: { pool: 'live', 'kubernetes.io/os': 'linux' } },
      { name: 'b', labels: {} },
    ]);
    expect([...ranges.nodes.values()].map((n) => [n.name, n.labels, n.labelsComplete])).toEqual([
      ['a', { pool: 'live', 'kubernetes.io/os': 'linux' }, true],
      ['b', {}, true],
    ]);
    expect(ranges.nodes.get('a')?.profile).toBe(fromData.nodes.get('a')?.profile);
    expect(ranges.nodes.get('b')?.profile).toBe(fromData.defaultProfile);
    // What a reporter measured stays with the node (an exported file carries it).
    expect(ranges.nodes.get('a')?.evidence).toBe(fromData.nodes.get('a')?.evidence);
    expect(ranges.nodes.get('b')?.evidence).toBeUndefined();
  });

  it('keeps what the reporters measured with each listed node', () => {
    const fromData = parseNodeRanges(
      {
        'node.a':
          '{"listeners": {"tcp": "22,30080"}, "listenersTruncated": true, "nodePortSourcePorts": {"range": "30000-32767", "count": 3}}',
        'node.b': '{}',
      },
      'test',
    ).ranges;
    const ranges = completeRanges(fromData, [
      { name: 'a', labels: {} },
      { name: 'b', labels: {} },
      { name: 'c', labels: {} },
    ]);
    expect(ranges.nodes.get('a')?.evidence).toBe(fromData.nodes.get('a')?.evidence);
    expect(ranges.nodes.get('a')?.evidence?.nodePortSourcePorts?.count).toBe(3);
    expect(ranges.nodes.get('b')?.evidence).toBeUndefined();
    expect(ranges.nodes.get('c')?.evidence).toBeUndefined();
  });
});
