/** The --ranges file: ConfigMap or bare data map, and every error names its key. */
import { describe, expect, it } from 'vitest';
import { parseRangesText, RangesFileError } from '../../src/cli/ranges-file.js';

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
});
