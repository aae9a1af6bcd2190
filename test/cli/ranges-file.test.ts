/** The --ranges file: ConfigMap or bare data map, and every error names its key. */

import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { parseRangesText, RangesFileError } from '../../src/cli/ranges-file.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';

describe('parseRangesText', () => {
  it.each([
    [
      'a ConfigMap',
      'apiVersion: v1\nkind: ConfigMap\ndata:\n  node.a: \'{"ipLocalPortRange": "1024 65535"}\'\n',
    ],
    ['a bare data map', 'node.a: \'{"ipLocalPortRange": "1024 65535"}\'\n'],
    ['a data: fragment without kind', 'data:\n  node.a: \'{"ipLocalPortRange": "1024\\t65535"}\'\n'],
  ])('reads %s', (_n, text) => {
    const ranges = parseRangesText(text, 'r.yaml');
    expect(ranges.nodes.get('a')?.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
  });

  it('reads an empty ConfigMap as defaults', () => {
    expect(parseRangesText('kind: ConfigMap\n', 'r.yaml').nodes.size).toBe(0);
  });

  it.each([
    [
      'reversed range',
      'node.worker-1: \'{"ipLocalPortRange": "65535 1024"}\'\n',
      'r.yaml: key "node.worker-1": ipLocalPortRange: low port 65535 is greater than high port 1024',
    ],
    ['bad JSON', 'node.b: "{nope"\n', 'r.yaml: key "node.b": value is not valid JSON'],
    ['unknown key', 'nodes: x\n', 'r.yaml: key "nodes": unknown key'],
    ['wrong kind', 'kind: Secret\n', 'r.yaml: expected a ConfigMap, found kind Secret'],
    ['a list', '- a\n', 'r.yaml: expected a ConfigMap or a map'],
    ['bad YAML', 'a: [1\n', 'r.yaml: line 2: invalid YAML'],
  ])('rejects %s, naming the file and key', (_n, text, msg) => {
    expect(() => parseRangesText(text, 'r.yaml')).toThrowError(RangesFileError);
    expect(() => parseRangesText(text, 'r.yaml')).toThrowError(msg);
  });

  it('reports every bad key, not just the first', () => {
    try {
      parseRangesText('node.a: "{"\nnode.b: "{"\n', 'r.yaml');
      expect.unreachable();
    } catch (err) {
      expect((err as RangesFileError).errors.map((e) => e.key)).toEqual(['node.a', 'node.b']);
    }
  });

  // The Set-based duplicate check must say what yaml's own (quadratic) check says.
  function yamlVerdict(text: string): string {
    const counter = new LineCounter();
    const err = parseDocument(text, { prettyErrors: false, lineCounter: counter }).errors[0];
    return err
      ? `line ${counter.linePos(err.pos[0]).line}: invalid YAML: ${err.message.split('\n')[0]}`
      : 'ok';
  }
  function ourVerdict(text: string): string {
    try {
      parseRangesText(text, 'r.yaml');
      return 'ok';
    } catch (err) {
      return (err as Error).message.replace('r.yaml: ', '');
    }
  }
  it.each([
    ['a repeated key', 'data:\n  a: 1\n  b: 2\n  a: 3\n', 'line 4: invalid YAML: Map keys must be unique'],
    ['a repeated key in a flow map', 'a: {x: 1, x: 2}\n', 'line 1: invalid YAML: Map keys must be unique'],
    [
      'the earliest of two repeats',
      'node.a: "{}"\nx:\n  y: 1\n  y: 2\nnode.a: "{}"\n',
      'line 4: invalid YAML: Map keys must be unique',
    ],
    [
      'a repeat before a syntax error',
      'a: 1\na: 2\nb: [1\n',
      'line 2: invalid YAML: Map keys must be unique',
    ],
    ['a syntax error before a repeat', 'b: [1\na: 1\na: 2\n', 'line 2: invalid YAML'],
    ['null keys written two ways', 'null: 1\n~: 2\n', 'line 2: invalid YAML: Map keys must be unique'],
  ])('reports %s as yaml would', (_n, text, expected) => {
    expect(yamlVerdict(text).startsWith(expected)).toBe(true);
    expect(ourVerdict(text)).toBe(yamlVerdict(text));
  });

  it.each([
    ['1 and "1"', '1: a\n"1": b\n'],
    ['.nan twice (NaN is never equal to itself)', '.nan: 1\n.nan: 2\n'],
  ])('does not call %s a repeated key, as yaml does not', (_n, text) => {
    expect(yamlVerdict(text)).toBe('ok');
    expect(ourVerdict(text)).toMatch(/^key ".*": unknown key/);
  });
});

describe('parseRangesText with shared profiles', () => {
  const entry = (range: string, reserved: string, host: string) =>
    JSON.stringify({ ipLocalPortRange: range, ipLocalReservedPorts: reserved, labels: { host } });
  const data: Record<string, string> = {
    nodePortRange: '30000-32767',
    default: JSON.stringify({ ipLocalPortRange: '40000 60999' }),
    'node.a': entry('32768 60999', '30000-32767', 'a'),
    'node.b': entry('32768 60999', '30000-32767', 'b'),
    'node.c': entry('1024 65535', '22', 'c'),
    'node.d': entry('32768 60999', '30000-32767', 'd'),
  };
  const text = `kind: ConfigMap\ndata:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: '${v}'`)
    .join('\n')}\n`;

  it('gives what parsing each entry on its own gives, with one profile per distinct pair', () => {
    const ranges = parseRangesText(text, 'r.yaml');
    const alone = parseNodeRanges(data, 'r.yaml');
    expect(alone.errors).toEqual([]);
    expect(ranges).toEqual(alone.ranges);
    expect(ranges.nodes.get('a')?.profile).toBe(ranges.nodes.get('d')?.profile);
    expect(ranges.nodes.get('d')?.labels).toEqual({ host: 'd' });
    expect([...ranges.profiles.values()].map((g) => g.nodes)).toEqual([['a', 'b', 'd'], ['c']]);
  });

  it.each([
    ['a bad range on two nodes', '70000 1', 'ipLocalPortRange'],
    ['bad reserved ports on two nodes', 'x-y', 'ipLocalReservedPorts'],
  ])('reports every node for %s', (_n, bad, field) => {
    const badData = {
      ...data,
      'node.a': field === 'ipLocalPortRange' ? entry(bad, '22', 'a') : entry('32768 60999', bad, 'a'),
      'node.b': field === 'ipLocalPortRange' ? entry(bad, '22', 'b') : entry('32768 60999', bad, 'b'),
    };
    const badText = `data:\n${Object.entries(badData)
      .map(([k, v]) => `  ${k}: '${v}'`)
      .join('\n')}\n`;
    const err = (() => {
      try {
        parseRangesText(badText, 'r.yaml');
      } catch (e) {
        return e as RangesFileError;
      }
    })();
    expect(err).toBeInstanceOf(RangesFileError);
    expect(err?.errors).toEqual(parseNodeRanges(badData, 'r.yaml').errors);
    expect(err?.errors.map((e) => e.key)).toEqual(['node.a', 'node.b']);
  });
});
