import { describe, expect, it } from 'vitest';
import { EntryCache, formatNodeEntry, parseNodeRanges } from '../../src/core/node-ranges.js';
import { NodeReports, reportedNodeName, reportObjectName } from '../../src/kube/node-reports.js';
import { applyConfigMap, composeRanges, isReporterCopy } from '../../src/kube/ranges-model.js';

const CM = 'portguard-node-ranges';
const defaults = parseNodeRanges({}).ranges.defaultProfile;

function report(node: string, entry: Record<string, unknown>, name = `${CM}.${node}`) {
  return { metadata: { name, resourceVersion: '1' }, data: { [`node.${node}`]: formatNodeEntry(entry) } };
}

describe('report object names', () => {
  it.each([
    ['ip-10-0-1-5.ec2.internal', `${CM}.ip-10-0-1-5.ec2.internal`],
    ['w1', `${CM}.w1`],
  ])('%s ↔ %s', (node, name) => {
    expect(reportObjectName(CM, node)).toBe(name);
    expect(reportedNodeName(CM, name)).toBe(node);
  });
  it('refuses a node name that would make the object name longer than 253 characters', () => {
    expect(() => reportObjectName(CM, 'a'.repeat(253 - CM.length))).toThrow(/too long for a report object/);
    expect(reportObjectName(CM, 'a'.repeat(252 - CM.length))).toHaveLength(253);
  });
  it.each([[`${CM}.`], ['other.w1'], [CM]])('%s names no node', (name) => {
    expect(reportedNodeName(CM, name)).toBeUndefined();
  });
});

describe('NodeReports', () => {
  it('parses a report with its evidence, and keeps bad reports out with an error naming the object', () => {
    const reports = new NodeReports(CM, new EntryCache());
    reports.replaceAll(
      [
        report('a', {
          ipLocalPortRange: '1024 65535',
          ipLocalReservedPorts: '30000-32767',
          listeners: { tcp: '22,30080', udp: '' },
          nodePortSourcePorts: { range: '30000-32767', count: 2 },
        }),
        report('b', { ipLocalPortRange: '32768 60999' }, `${CM}.c`),
        { metadata: { name: 'stranger' }, data: {} },
        report('d', { ipLocalPortRange: '70000 80000' }),
      ],
      defaults,
    );
    const a = reports.nodes().get('a');
    expect(a?.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
    expect(a?.evidence?.listeners?.tcp?.toString()).toBe('22,30080');
    expect(a?.evidence?.listeners?.udp?.isEmpty()).toBe(true);
    expect(a?.evidence?.listeners?.sctp).toBeUndefined();
    expect(a?.evidence?.nodePortSourcePorts).toEqual({ range: { lo: 30000, hi: 32767 }, count: 2 });
    expect([...reports.nodes().keys()]).toEqual(['a']);
    const errors = reports.errors();
    expect(errors.map((e) => [e.object, e.key])).toEqual([
      [`${CM}.c`, ''],
      ['stranger', ''],
      [`${CM}.d`, 'node.d'],
    ]);
    expect(errors[0]?.message).toMatch(/exactly one key, "node.c"/);
    expect(errors[1]?.message).toMatch(/must be "portguard-node-ranges.<node name>"/);
  });

  it('reports a change only when the entry text changed, and forgets deleted objects', () => {
    const reports = new NodeReports(CM);
    const r = report('a', { ipLocalPortRange: '32768 60999', ipLocalReservedPorts: '' });
    expect(reports.upsert(r, defaults)).toBe(true);
    expect(reports.upsert({ ...r, metadata: { ...r.metadata, resourceVersion: '2' } }, defaults)).toBe(false);
    expect(reports.upsert(report('a', { ipLocalPortRange: '1024 65535' }), defaults)).toBe(true);
    expect(reports.delete(r)).toBe(true);
    expect(reports.delete(r)).toBe(false);
    expect(reports.nodes().size).toBe(0);
  });

  it('keeps errorCount equal to errors().length through upserts, deletes and relists', () => {
    const reports = new NodeReports(CM);
    const good = report('a', { ipLocalPortRange: '32768 60999' });
    const bad = report('a', { ipLocalPortRange: '9 1' });
    const stranger = { metadata: { name: 'x' }, data: {} };
    const steps: (() => unknown)[] = [
      () => reports.upsert(bad, defaults),
      () => reports.upsert(stranger, defaults),
      () => reports.upsert(good, defaults),
      () => reports.upsert(bad, defaults),
      () => reports.delete(bad),
      () => reports.replaceAll([bad, stranger, report('b', {})], defaults),
      () => reports.delete(stranger),
    ];
    const counts: number[] = [];
    for (const step of steps) {
      step();
      expect(reports.errorCount).toBe(reports.errors().length);
      counts.push(reports.errorCount);
    }
    expect(counts).toEqual([1, 2, 1, 2, 1, 2, 1]);
  });

  it('re-parses against a new default, since a report inherits what it leaves out', () => {
    const reports = new NodeReports(CM);
    reports.upsert(report('a', { ipLocalPortRange: '1024 65535' }), defaults);
    const withReserved = parseNodeRanges({ default: '{"ipLocalReservedPorts": "30000-32767"}' }).ranges
      .defaultProfile;
    expect(reports.setDefault(withReserved)).toBe(true);
    expect(reports.nodes().get('a')?.profile.reserved.toString()).toBe('30000-32767');
    expect(reports.setDefault(withReserved)).toBe(false);
  });
});

describe('composeRanges precedence', () => {
  const copy = (range: string) =>
    formatNodeEntry({ ipLocalPortRange: range, labels: { 'kubernetes.io/hostname': 'x', pool: 'p' } });
  const hand = (range: string) => formatNodeEntry({ ipLocalPortRange: range, labels: { pool: 'p' } });
  const reported = new NodeReports(CM);
  reported.replaceAll(
    [
      report('hand', { ipLocalPortRange: '40000 50000', listeners: { tcp: '30080' } }),
      report('copy', { ipLocalPortRange: '40000 50000' }),
      report('only-report', { ipLocalPortRange: '40000 50000' }),
    ],
    defaults,
  );
  const config = applyConfigMap({
    'node.hand': hand('1024 65535'),
    'node.copy': copy('1024 65535'),
    'node.only-entry': copy('2000 3000'),
  });
  const live = new Map(
    ['hand', 'copy', 'only-report', 'only-entry', 'nothing'].map((n) => [n, { zone: 'z' }] as const),
  );

  it.each([
    ['hand', '1024 65535', 'a hand-written entry wins over the report'],
    ['copy', '40000 50000', "the report wins over a reporter's copy in the ConfigMap"],
    ['only-report', '40000 50000', 'the report alone'],
    ['only-entry', '2000 3000', "a reporter's copy when there is no report yet"],
    ['nothing', '32768 60999', 'the default profile'],
  ])('%s → %s (%s)', (node, range) => {
    for (const ranges of [
      composeRanges(config, live, 's', reported.nodes()),
      composeRanges(config, undefined, 's', reported.nodes()),
    ]) {
      const info = ranges.nodes.get(node);
      if (node === 'nothing' && !ranges.nodes.has('nothing')) continue;
      const e = info?.profile.ephemeral;
      expect(`${e?.lo} ${e?.hi}`).toBe(range);
    }
  });

  it('takes evidence from the report even when a hand-written entry sets the profile', () => {
    const ranges = composeRanges(config, live, 's', reported.nodes());
    expect(ranges.nodes.get('hand')?.evidence?.listeners?.tcp?.toString()).toBe('30080');
    expect(ranges.nodes.get('hand')?.labels).toEqual({ zone: 'z' });
    expect(ranges.nodes.get('hand')?.labelsComplete).toBe(true);
  });

  it('without live nodes, the node set is the entries and the reports, labels partial', () => {
    const ranges = composeRanges(config, undefined, 's', reported.nodes());
    expect([...ranges.nodes.keys()].sort()).toEqual(['copy', 'hand', 'only-entry', 'only-report']);
    expect(ranges.nodes.get('only-report')?.labelsComplete).toBe(false);
    expect(ranges.nodes.get('hand')?.labels).toEqual({ pool: 'p' });
  });

  it.each([
    [{ 'kubernetes.io/hostname': 'w1' }, true],
    [{ pool: 'general' }, false],
    [{}, false],
  ])('isReporterCopy(labels %j) is %s', (labels, expected) => {
    expect(isReporterCopy({ name: 'w1', profile: defaults, labels, labelsComplete: false })).toBe(expected);
  });
});
