/** The --ranges file: ConfigMap or bare data map, and every error names its key. */

import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import {
  formatRangesWarnings,
  loadRanges,
  parseRangesText,
  RangesFileError,
  readRangesText,
} from '../../src/cli/ranges-file.js';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { ManifestError } from '../../src/input/manifest-error.js';

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
    ['an empty file', '', 'r.yaml: expected a ConfigMap or a map'],
    ['a file of comments', '# nothing\n---\n# here\n', 'r.yaml: expected a ConfigMap or a map'],
    [
      'a typo of nodePortRange',
      'nodePortRnage: 30000-32767\n',
      'r.yaml: key "nodePortRnage": unknown key; expected "nodePortRange", "default" or "node.<nodeName>"; did you mean "nodePortRange"?',
    ],
    [
      'a node key with a dash',
      'node-worker-1: "{}"\n',
      'r.yaml: key "node-worker-1": unknown key; expected "nodePortRange", "default" or "node.<nodeName>"; did you mean "node.worker-1"?',
    ],
    ['bad YAML in a later document', 'kind: ConfigMap\n---\na: [1\n', 'r.yaml: line 4: invalid YAML'],
    [
      'a repeated key in a later document',
      'a: 1\n---\nb: 1\nb: 2\n',
      'r.yaml: line 4: invalid YAML: Map keys must be unique',
    ],
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

const RANGES_CM = (name: string, node: string, indent = '') =>
  [
    'apiVersion: v1',
    'kind: ConfigMap',
    `metadata: {name: ${name}, namespace: portguard-system}`,
    'data:',
    '  nodePortRange: "30000-32767"',
    `  node.${node}: '{"ipLocalPortRange": "1024 65535"}'`,
  ]
    .map((l) => indent + l)
    .join('\n');
const OTHER_CM = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: kube-root-ca.crt}',
  'data: {ca.crt: x}',
];
const SERVICE = ['apiVersion: v1', 'kind: Service', 'metadata: {name: api, namespace: shop}'];
/** What `kubectl get cm -o yaml` prints: a List whose items are indented under `- `. */
function list(...objects: string[][]): string {
  const body = objects.map((lines) => lines.map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)).join('\n'));
  return `apiVersion: v1\nkind: List\nitems:\n${body.join('\n')}\nmetadata: {resourceVersion: ""}\n`;
}
const cmLines = (name: string, node: string) => RANGES_CM(name, node).split('\n');

describe('readRangesText with several objects', () => {
  it.each([
    ['a List (kubectl get cm -o yaml)', list(OTHER_CM, cmLines('portguard-node-ranges', 'a')), 'a'],
    [
      'a ConfigMapList',
      list(cmLines('portguard-node-ranges', 'a')).replace('kind: List', 'kind: ConfigMapList'),
      'a',
    ],
    ['documents', `${SERVICE.join('\n')}\n---\n${RANGES_CM('portguard-node-ranges', 'b')}\n---\n`, 'b'],
    ['a ConfigMap between empty documents', `---\n# x\n---\n${RANGES_CM('r', 'c')}\n---\n`, 'c'],
    ['a List among documents', `${SERVICE.join('\n')}\n---\n${list(cmLines('r', 'd'))}`, 'd'],
  ])('picks the node-ranges ConfigMap out of %s', (_n, text, node) => {
    const { ranges, warnings } = readRangesText(text, 'r.yaml');
    expect([...ranges.nodes.keys()]).toEqual([node]);
    expect(ranges.nodes.get(node)?.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
    expect(warnings).toEqual([]);
  });

  it.each([
    [
      'the item it used, with its line',
      list(OTHER_CM, cmLines('portguard-node-ranges', 'a')).replace('1024 65535', '65535 1024'),
      'r.yaml:8 (item 2 of the List, ConfigMap portguard-system/portguard-node-ranges): key "node.a": ipLocalPortRange: low port 65535',
    ],
    [
      'the document it used',
      `${SERVICE.join('\n')}\n---\n${RANGES_CM('x', 'b').replace('1024 65535', '65535 1024')}\n`,
      'r.yaml:5 (document 2, ConfigMap portguard-system/x): key "node.b": ipLocalPortRange',
    ],
    [
      'why no object matched',
      list(OTHER_CM, SERVICE),
      'r.yaml: no node-ranges ConfigMap among 2 objects (it has a nodePortRange, default or node.<name> data key):\n' +
        '  item 1 of the List (line 4): ConfigMap kube-root-ca.crt: no nodePortRange, default or node.<name> key\n' +
        '  item 2 of the List (line 8): Service shop/api: not a ConfigMap',
    ],
    [
      'every candidate when several match',
      `${RANGES_CM('one', 'a')}\n---\n${RANGES_CM('two', 'b')}\n`,
      'r.yaml: 2 objects could be the node-ranges ConfigMap; give only one (for example kubectl get configmap NAME -o yaml):\n' +
        '  document 1 (line 1): ConfigMap portguard-system/one\n' +
        '  document 2 (line 8): ConfigMap portguard-system/two',
    ],
    ['an empty List', 'apiVersion: v1\nkind: List\nitems: []\n', 'r.yaml: the List has no items'],
  ])('says %s', (_n, text, message) => {
    expect(() => readRangesText(text, 'r.yaml')).toThrowError(RangesFileError);
    expect(() => readRangesText(text, 'r.yaml')).toThrowError(message);
  });

  it('leaves out node report objects with a warning (kubectl get cm -n portguard-system)', () => {
    const report = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: portguard-node-ranges.w9',
      '  namespace: portguard-system',
      '  labels: {portguard.io/node-report: v1}',
      `data: {node.w9: '{"ipLocalPortRange": "1024 65535"}'}`,
    ];
    const { ranges, warnings } = readRangesText(
      list(report, cmLines('portguard-node-ranges', 'a')),
      'r.yaml',
    );
    expect([...ranges.nodes.keys()]).toEqual(['a']);
    expect(warnings).toEqual([
      'r.yaml: left out 1 node report object (portguard-system/portguard-node-ranges.w9): a ranges file is read ' +
        'as one ConfigMap; check --kubeconfig, or a file from portguard ranges export, includes what the nodes reported',
    ]);
  });
});

describe('readRangesText warnings', () => {
  it.each([
    [
      'a misspelt field, naming key, field and guess',
      'node.worker-1: \'{"ipLocalPortRnage": "1024 65535"}\'\n',
      [
        'r.yaml: key "node.worker-1": unknown field "ipLocalPortRnage" is ignored; did you mean "ipLocalPortRange"?',
      ],
    ],
    [
      'the same field on many nodes, on one line',
      ['a', 'b', 'c', 'd', 'e'].map((n) => `node.${n}: '{"kernel": "6.1"}'`).join('\n'),
      [
        'r.yaml: keys "node.a", "node.b", "node.c" and 2 more: unknown field "kernel" is ignored (known fields: ' +
          'ipLocalPortRange, ipLocalReservedPorts, labels, listeners, listenersTruncated, nodePortSourcePorts)',
      ],
    ],
    [
      'the object the warning is about, when it was picked out of several',
      list(SERVICE, cmLines('r', 'a')).replace('"1024 65535"}', '"1024 65535", "lables": {}}'),
      [
        'r.yaml:7 (item 2 of the List, ConfigMap portguard-system/r): key "node.a": unknown field "lables" is ignored; did you mean "labels"?',
      ],
    ],
  ])('warns about %s, and uses the data', (_n, text, warnings) => {
    const read = readRangesText(text, 'r.yaml');
    expect(read.warnings).toEqual(warnings);
    expect(read.ranges.nodes.size).toBeGreaterThan(0);
  });
});

describe('formatRangesWarnings', () => {
  it.each([
    [[], []],
    [[{ key: 'default', message: 'm' }], ['f: key "default": m']],
    [
      [
        { key: 'node.a', message: 'm' },
        { key: 'node.b', message: 'n' },
        { key: 'node.c', message: 'm' },
      ],
      ['f: keys "node.a", "node.c": m', 'f: key "node.b": n'],
    ],
  ])('formats %j', (warnings, lines) => {
    expect(formatRangesWarnings('f', warnings)).toEqual(lines);
  });
});

describe('loadRanges', () => {
  const stdin = (text: string) => async () => Buffer.from(text);

  it.each([
    ['a ConfigMap', RANGES_CM('portguard-node-ranges', 'a')],
    ['a List', list(OTHER_CM, cmLines('portguard-node-ranges', 'a'))],
  ])('reads %s from stdin for -', async (_n, text) => {
    const { ranges } = await loadRanges('-', { readStdin: stdin(text) });
    expect([...ranges.nodes.keys()]).toEqual(['a']);
  });

  it.each([
    [
      'empty stdin',
      { readStdin: stdin(' \n') },
      '<stdin>: stdin is empty; expected the node-ranges ConfigMap',
    ],
    ['no stdin', {}, '<stdin>: stdin is not available'],
    ['binary stdin', { readStdin: stdin('a\0b') }, '<stdin>: line 1: binary file (contains a NUL byte)'],
    [
      'a bad key on stdin',
      { readStdin: stdin('node.a: "{"\n') },
      '<stdin>: key "node.a": value is not valid JSON',
    ],
    [
      'stdin over the limit',
      {
        readStdin: async () => {
          throw new ManifestError('<stdin>', undefined, 'input is over the 33554432-byte limit');
        },
      },
      '<stdin>: input is over the 33554432-byte limit',
    ],
  ])('refuses %s, naming <stdin>', async (_n, opts, message) => {
    await expect(loadRanges('-', opts)).rejects.toThrowError(RangesFileError);
    await expect(loadRanges('-', opts)).rejects.toThrowError(message);
  });
});
