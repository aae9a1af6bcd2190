import { describe, expect, it } from 'vitest';
import { type NodeInfo, parseNodeRanges } from '../../src/core/node-ranges.js';
import { createMetrics, MAX_SOURCE_PORT_SERIES } from '../../src/server/metrics.js';

const entry = (count: number) => `{"nodePortSourcePorts": {"range": "30000-32767", "count": ${count}}}`;

function nodes(data: Record<string, string>): ReadonlyMap<string, NodeInfo> {
  const { ranges, errors } = parseNodeRanges(data);
  expect(errors).toEqual([]);
  return ranges.nodes;
}

async function scrape(list: ReadonlyMap<string, NodeInfo>): Promise<string[]> {
  const metrics = createMetrics(undefined, { nodes: () => list });
  return (await metrics.registry.metrics())
    .split('\n')
    .filter((l) => /^portguard_nodes?_(with_)?nodeport_source_ports/.test(l));
}

describe('NodePort source-port gauges', () => {
  it.each<[string, Record<string, string>, string[]]>([
    ['no evidence anywhere', { 'node.a': '{}' }, ['portguard_nodes_with_nodeport_source_ports 0']],
    [
      'a count of zero is no series',
      { 'node.a': entry(0) },
      ['portguard_nodes_with_nodeport_source_ports 0'],
    ],
    [
      'nodes above zero, busiest first',
      { 'node.a': entry(2), 'node.b': entry(0), 'node.c': entry(7) },
      [
        'portguard_node_nodeport_source_ports{node="c"} 7',
        'portguard_node_nodeport_source_ports{node="a"} 2',
        'portguard_nodes_with_nodeport_source_ports 2',
      ],
    ],
  ])('%s', async (_name, data, expected) => {
    expect(await scrape(nodes(data))).toEqual(expected);
  });

  it(`keeps at most ${MAX_SOURCE_PORT_SERIES} node series, the busiest, and counts every node`, async () => {
    const data: Record<string, string> = {};
    for (let i = 1; i <= MAX_SOURCE_PORT_SERIES + 50; i++) data[`node.n${i}`] = entry(i);
    const lines = await scrape(nodes(data));
    const series = lines.filter((l) => l.startsWith('portguard_node_nodeport_source_ports{'));
    expect(series).toHaveLength(MAX_SOURCE_PORT_SERIES);
    expect(series[0]).toBe(
      `portguard_node_nodeport_source_ports{node="n${MAX_SOURCE_PORT_SERIES + 50}"} 150`,
    );
    expect(lines.at(-1)).toBe(`portguard_nodes_with_nodeport_source_ports ${MAX_SOURCE_PORT_SERIES + 50}`);
  });

  it('a node that stops counting drops its series at the next scrape', async () => {
    let list = nodes({ 'node.a': entry(3) });
    const metrics = createMetrics(undefined, { nodes: () => list });
    expect(await metrics.registry.metrics()).toContain('portguard_node_nodeport_source_ports{node="a"} 3');
    list = nodes({ 'node.a': entry(0) });
    expect(await metrics.registry.metrics()).not.toContain('{node="a"}');
  });
});
