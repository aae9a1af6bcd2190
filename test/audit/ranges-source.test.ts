import { describe, expect, it } from 'vitest';
import { completeRanges, rangesFromData } from '../../src/audit/ranges-source.js';

describe('completeRanges', () => {
  it('holds exactly the listed nodes, with their labels taken as complete', () => {
    const fromData = rangesFromData(
      {
        'node.a': '{"ipLocalPortRange": "1024 65535", "labels": {"pool": "x"}}',
        'node.gone': '{}',
      },
      'test',
    );
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
  });
});
