import { describe, expect, it } from 'vitest';
import { EntryCache, parseNodeRanges } from '../../src/core/node-ranges.js';

const contract = {
  nodePortRange: '30000-32767',
  default: '{"ipLocalPortRange": "32768 60999"}',
  'node.worker-1':
    '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-32767", "labels": {"pool": "general"}}',
  'node.worker-2': '{"ipLocalPortRange": "32768\\t60999"}',
};

describe('parseNodeRanges', () => {
  it('parses the ConfigMap contract from issue 2', () => {
    const { ranges, errors } = parseNodeRanges(contract);
    expect(errors).toEqual([]);
    expect(ranges.nodePortRange).toEqual({ lo: 30000, hi: 32767 });
    const w1 = ranges.nodes.get('worker-1')!;
    expect(w1.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
    expect(w1.profile.reserved.toString()).toBe('30000-32767');
    expect(w1.profile.unreserved.toString()).toBe('1024-29999,32768-65535');
    expect(w1.labels).toEqual({ pool: 'general' });
    expect(ranges.nodes.get('worker-2')!.profile.ephemeral).toEqual({ lo: 32768, hi: 60999 });
  });

  it('groups nodes with equal profiles', () => {
    const { ranges } = parseNodeRanges({
      'node.a': '{"ipLocalPortRange": "1024 65535"}',
      'node.b': '{"ipLocalPortRange": "1024  65535"}',
      'node.c': '{"ipLocalPortRange": "32768 60999"}',
    });
    expect([...ranges.profiles.values()].map((g) => g.nodes)).toEqual([['a', 'b'], ['c']]);
  });

  it('uses kernel and apiserver defaults when keys are absent', () => {
    const { ranges, errors } = parseNodeRanges({});
    expect(errors).toEqual([]);
    expect(ranges.nodePortRange).toEqual({ lo: 30000, hi: 32767 });
    expect(ranges.defaultProfile.ephemeral).toEqual({ lo: 32768, hi: 60999 });
  });

  it('lets node entries inherit default fields they do not set', () => {
    const { ranges } = parseNodeRanges({
      default: '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-32767"}',
      'node.x': '{"labels": {"zone": "a"}}',
    });
    expect(ranges.nodes.get('x')!.profile.key).toBe(ranges.defaultProfile.key);
  });

  it('allows unknown fields in entries, with a warning', () => {
    const { errors, warnings, ranges } = parseNodeRanges({
      'node.x': '{"ipLocalPortRange": "1024 65535", "kernel": "6.1"}',
    });
    expect(errors).toEqual([]);
    expect(ranges.nodes.get('x')?.profile.ephemeral).toEqual({ lo: 1024, hi: 65535 });
    expect(warnings).toEqual([
      {
        key: 'node.x',
        message:
          'unknown field "kernel" is ignored (known fields: ipLocalPortRange, ipLocalReservedPorts, labels, ' +
          'listeners, listenersTruncated, nodePortSourcePorts)',
      },
    ]);
  });

  it.each([
    ['node.worker-1', '{"ipLocalPortRnage": "1024 65535"}', 'ipLocalPortRnage', 'ipLocalPortRange'],
    ['node.worker-1', '{"iplocalreservedports": "22"}', 'iplocalreservedports', 'ipLocalReservedPorts'],
    ['node.worker-1', '{"label": {"a": "b"}}', 'label', 'labels'],
    ['node.worker-1', '{"listener": {"tcp": "22"}}', 'listener', 'listeners'],
    ['node.worker-1', '{"listenersTruncted": true}', 'listenersTruncted', 'listenersTruncated'],
    ['node.worker-1', '{"nodePortSourcePort": {}}', 'nodePortSourcePort', 'nodePortSourcePorts'],
    ['default', '{"ipLocalPortRnage": "1024 65535"}', 'ipLocalPortRnage', 'ipLocalPortRange'],
  ])('warns about %s %s naming the closest field', (key, value, field, guess) => {
    const { errors, warnings } = parseNodeRanges({ [key]: value });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      { key, message: `unknown field "${field}" is ignored; did you mean "${guess}"?` },
    ]);
  });

  it('leaves a node whose only field is misspelt on the default profile, and says so', () => {
    const { ranges, warnings } = parseNodeRanges({ 'node.w': '{"ipLocalPortRnage": "1024 65535"}' });
    expect(ranges.nodes.get('w')?.profile.key).toBe(ranges.defaultProfile.key);
    expect(warnings.map((w) => w.key)).toEqual(['node.w']);
  });

  it('warns about unknown fields of an entry that is also bad', () => {
    const { errors, warnings } = parseNodeRanges({ 'node.w': '{"ipLocalPortRange": 5, "lables": {}}' });
    expect(errors.map((e) => e.key)).toEqual(['node.w']);
    expect(warnings).toEqual([
      { key: 'node.w', message: 'unknown field "lables" is ignored; did you mean "labels"?' },
    ]);
  });

  it('warns for every node, also when the entry text is served from the cache', () => {
    const cache = new EntryCache();
    const data = { 'node.a': '{"ipLocalPortRnage": "1 2"}', 'node.b': '{"ipLocalPortRnage": "1 2"}' };
    for (const { warnings } of [parseNodeRanges(data, 'x', cache), parseNodeRanges(data, 'x', cache)]) {
      expect(warnings.map((w) => w.key)).toEqual(['node.a', 'node.b']);
    }
  });

  it('has no warnings for the contract', () => {
    expect(parseNodeRanges(contract).warnings).toEqual([]);
  });

  it.each([
    ['nodePortRnage', 'nodePortRange'],
    ['nodeportrange', 'nodePortRange'],
    ['defualt', 'default'],
    ['Default', 'default'],
    ['node-worker-1', 'node.worker-1'],
    ['node_worker-1', 'node.worker-1'],
    ['nodes.worker-1', 'node.worker-1'],
    ['Node.worker-1', 'node.worker-1'],
    ['noed.worker-1', 'node.worker-1'],
  ])('suggests a key for the unknown key %s', (key, guess) => {
    const { errors } = parseNodeRanges({ [key]: '{}' });
    expect(errors).toEqual([
      {
        key,
        message: `unknown key; expected "nodePortRange", "default" or "node.<nodeName>"; did you mean "${guess}"?`,
      },
    ]);
  });

  it.each(['kube-root-ca.crt', 'worker-1', 'node', 'nodes-', 'zzz'])('guesses nothing for %s', (key) => {
    const { errors } = parseNodeRanges({ [key]: '{}' });
    expect(errors[0]?.message).toBe('unknown key; expected "nodePortRange", "default" or "node.<nodeName>"');
  });

  it.each([
    [
      'node.w',
      '{"ipLocalPortRange": "65535 1024"}',
      /ipLocalPortRange: low port 65535 is greater than high port 1024/,
    ],
    ['node.w', '{"ipLocalPortRange": "0 1024"}', /outside 1-65535/],
    ['node.w', '{"ipLocalPortRange": "1024 70000"}', /outside 1-65535/],
    ['node.w', '{"ipLocalPortRange": 1024}', /must be string/],
    ['node.w', '{"ipLocalReservedPorts": "9-3"}', /ipLocalReservedPorts: .*start greater than end/],
    ['node.w', '{"labels": {"a": 1}}', /labels\/a must be string \(got 1\)/],
    ['node.w', '{"listeners": {"tpc": "22"}}', /unknown key "tpc" at \/listeners; did you mean "tcp"\?/],
    ['node.w', '{"nodePortSourcePorts": {"range": "1-2"}}', /nodePortSourcePorts is missing the key "count"/],
    ['node.w', '{not json', /not valid JSON/],
    ['node.w', '[1,2]', /must be object/],
    ['default', '{"ipLocalPortRange": "x y"}', /not a port number/],
    ['nodePortRange', '32767-30000', /start greater than end/],
    ['node.', '{}', /node name is empty/],
    ['nodes.w', '{}', /unknown key/],
  ])('reports %s=%s with the key and what is wrong', (key, value, message) => {
    const { errors } = parseNodeRanges({ [key]: value });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.key).toBe(key);
    expect(errors[0]!.message).toMatch(message);
  });

  it('keeps good entries when one entry is bad', () => {
    const { ranges, errors } = parseNodeRanges({ ...contract, 'node.bad': '{"ipLocalPortRange": "9 1"}' });
    expect(errors.map((e) => e.key)).toEqual(['node.bad']);
    expect(ranges.nodes.has('worker-1')).toBe(true);
    expect(ranges.nodes.has('bad')).toBe(false);
  });

  it('rejects non-string values', () => {
    const { errors } = parseNodeRanges({ 'node.x': 5, nodePortRange: 30000 } as Record<string, unknown>);
    expect(errors.map((e) => e.key).sort()).toEqual(['node.x', 'nodePortRange']);
  });
});

describe('EntryCache', () => {
  const data = {
    default: '{"ipLocalPortRange": "32768 60999", "ipLocalReservedPorts": "40000"}',
    'node.a':
      '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-32767", "labels": {"n": "a"}}',
    'node.b':
      '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-32767", "labels": {"n": "b"}}',
    'node.c': '{"ipLocalReservedPorts": "31000"}',
    'node.d': '{"ipLocalReservedPorts": "31000"}',
    'node.e': '{"ipLocalPortRange": "65535 1024"}',
    'node.f': '{"ipLocalPortRange": "65535 1024"}',
    'node.g': '{',
    'node.h': '{}',
  };

  it('gives the same nodes and errors as an uncached parse', () => {
    const plain = parseNodeRanges(data, 'x');
    const cache = new EntryCache();
    // Twice through one cache: the second parse is served from it.
    for (const cached of [parseNodeRanges(data, 'x', cache), parseNodeRanges(data, 'x', cache)]) {
      expect(cached.errors).toEqual(plain.errors);
      expect([...cached.ranges.profiles.keys()]).toEqual([...plain.ranges.profiles.keys()]);
      for (const [name, node] of plain.ranges.nodes) {
        const got = cached.ranges.nodes.get(name);
        expect(got?.labels).toEqual(node.labels);
        expect(got?.profile.key).toBe(node.profile.key);
        expect(got?.profile.unreserved.toString()).toBe(node.profile.unreserved.toString());
      }
    }
  });

  it('builds each (range, reserved) pair once and shares it between nodes', () => {
    const cache = new EntryCache();
    const { ranges } = parseNodeRanges(data, 'x', cache);
    expect(ranges.nodes.get('a')?.profile).toBe(ranges.nodes.get('b')?.profile);
    expect(ranges.nodes.get('c')?.profile).toBe(ranges.nodes.get('d')?.profile);
    // default, a/b, c/d, the bad e/f pair and h (inherits both fields): five pairs.
    expect(cache.size.profiles).toBe(5);
  });

  it.each([
    ['range', '{"ipLocalPortRange": "20000 29999"}', { lo: 20000, hi: 29999 }, '31000'],
    ['reserved ports', '{"ipLocalReservedPorts": "45000"}', { lo: 32768, hi: 60999 }, '31000'],
  ])('keeps inherited fields right when the default %s changes', (_n, def, ephemeral, reserved) => {
    const cache = new EntryCache();
    parseNodeRanges(data, 'x', cache);
    const { ranges } = parseNodeRanges({ ...data, default: def }, 'x', cache);
    // node.c sets only its reserved ports; its range comes from the new default.
    expect(ranges.nodes.get('c')?.profile.ephemeral).toEqual(ephemeral);
    expect(ranges.nodes.get('c')?.profile.reserved.toString()).toBe(reserved);
    // node.h sets nothing: it is exactly the new default.
    expect(ranges.nodes.get('h')?.profile.key).toBe(ranges.defaultProfile.key);
  });

  it('stays bounded when every entry is different', () => {
    const cache = new EntryCache();
    const many: Record<string, string> = {};
    for (let i = 0; i < 30_000; i++) many[`node.n${i}`] = `{"ipLocalReservedPorts": "${1024 + i}"}`;
    const { errors, ranges } = parseNodeRanges(many, 'x', cache);
    expect(errors).toEqual([]);
    expect(ranges.nodes.get('n29999')?.profile.reserved.toString()).toBe(String(1024 + 29_999));
    expect(cache.size.profiles).toBeLessThanOrEqual(4096);
    expect(cache.size.outcomes).toBeLessThanOrEqual(20_000);
  });
});
