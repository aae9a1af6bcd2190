import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatNodeEntry, parseNodeRanges } from '../../src/core/node-ranges.js';
import { parseReservedPorts } from '../../src/core/portset.js';
import {
  classifySocket,
  type IpFamily,
  parseProcNet,
  parseProcNetLine,
  readNodeSockets,
  type SocketProtocol,
  type SocketSummary,
  SocketTally,
  summarizeSockets,
} from '../../src/reporter/proc-net.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/proc-net/', import.meta.url));
const NODE_PORTS = { lo: 30000, hi: 32767 };
const TABLES = [
  ['tcp', 4, 'tcp'],
  ['tcp', 6, 'tcp6'],
  ['udp', 4, 'udp'],
  ['udp', 6, 'udp6'],
] as const;

// Headers and line layouts as the kernel prints them (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c,
// net/ipv4/udp.c, net/ipv6/datagram.c): IPv4 lines are padded to 149 (tcp) or 127 (udp) characters.
const HEADER: Record<SocketProtocol, Record<IpFamily, string>> = {
  tcp: {
    4: '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'.padEnd(
      149,
    ),
    6: '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  },
  udp: {
    4: '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops'.padEnd(
      127,
    ),
    6: '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  },
};
const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
const LOOPBACK: Record<IpFamily, string> = { 4: '0100007F', 6: '00000000000000000000000001000000' };

interface Sock {
  proto: SocketProtocol;
  family: IpFamily;
  local: number;
  remote: number;
  state: number;
}

/** One socket line in the kernel's layout. */
function socketLine({ proto, family, local, remote, state }: Sock, sl = 0): string {
  const addr = LOOPBACK[family];
  const peer = remote === 0 ? addr.replace(/./g, '0') : addr;
  const head = `${String(sl).padStart(proto === 'tcp' ? 4 : 5)}: ${addr}:${hex(local, 4)} ${peer}:${hex(remote, 4)} ${hex(state, 2)}`;
  const tail =
    proto === 'tcp'
      ? ' 00000000:00000000 00:00000000 00000000     0        0 51234 1 0000000000000000 100 0 0 10 0'
      : ' 00000000:00000000 00:00000000 00000000     0        0 51234 2 0000000000000000 0';
  const line = head + tail;
  return family === 4 ? line.padEnd(proto === 'tcp' ? 149 : 127) : line;
}

/** A whole table's text: header, lines, trailing newline. */
function table(proto: SocketProtocol, family: IpFamily, socks: Omit<Sock, 'proto' | 'family'>[]): string {
  const lines = socks.map((s, i) => socketLine({ proto, family, ...s }, i));
  return `${[HEADER[proto][family], ...lines].join('\n')}\n`;
}

/** Tallies for a list of sockets, each written into its table. */
function talliesOf(socks: Sock[]): Record<SocketProtocol, SocketTally> {
  const tallies = { tcp: new SocketTally('tcp'), udp: new SocketTally('udp') };
  for (const [proto, family] of TABLES) {
    const mine = socks.filter((s) => s.proto === proto && s.family === family);
    parseProcNet(table(proto, family, mine), proto, family, { into: tallies[proto] });
  }
  return tallies;
}

async function fixtureTallies(dir: string): Promise<Record<SocketProtocol, SocketTally>> {
  const tallies = { tcp: new SocketTally('tcp'), udp: new SocketTally('udp') };
  for (const [proto, family, file] of TABLES) {
    const text = await readFile(join(FIXTURES, dir, 'net', file), 'latin1');
    parseProcNet(text, proto, family, { into: tallies[proto], file });
  }
  return tallies;
}

describe('parseProcNetLine', () => {
  it.each([
    [
      'a tcp listener as the kernel prints it',
      '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1137 1 00000000d800f53f 100 0 0 10 0                      ',
      4,
      { localPort: 2024, remotePort: 0, state: 0x0a },
    ],
    [
      'a tcp TIME_WAIT line (fewer columns)',
      '  13: 0100007F:7530 0100007F:7580 06 00000000:00000000 03:00001752 00000000     0        0 0 3 000000009039375a',
      4,
      { localPort: 30000, remotePort: 30080, state: 6 },
    ],
    [
      'an IPv4-mapped IPv6 connection',
      '   1: 0000000000000000FFFF00000100007F:280A 0000000000000000FFFF00000100007F:C3D4 01 00000000:00000000 00:00000000 00000000     0        0 510770 1 000000007ba237e4 20 0 0 10 -1',
      6,
      { localPort: 10250, remotePort: 50132, state: 1 },
    ],
    [
      'a udp6 unconnected socket',
      '15969: 00000000000000000000000000000000:2118 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 510778 2 00000000c7729349 0',
      6,
      { localPort: 8472, remotePort: 0, state: 7 },
    ],
    [
      'lower-case hex',
      '   0: 0100007f:7ffe 0100007f:c350 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0',
      4,
      { localPort: 32766, remotePort: 50000, state: 1 },
    ],
  ] as const)('parses %s', (_name, line, family, expected) => {
    expect(parseProcNetLine(line, family)).toEqual(expected);
  });

  it.each([
    ['the header', HEADER.tcp[4], 4],
    [
      'an IPv6 line read as IPv4',
      socketLine({ proto: 'tcp', family: 6, local: 80, remote: 0, state: 10 }),
      4,
    ],
    [
      'an IPv4 line read as IPv6',
      socketLine({ proto: 'tcp', family: 4, local: 80, remote: 0, state: 10 }),
      6,
    ],
    ['a 3-digit port', '   2: 0100007F:1F9 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0 0 1', 4],
    [
      'a non-hex state',
      '   3: 0100007F:1F90 0100007F:C350 0G 00000000:00000000 00:00000000 00000000 0 0 1',
      4,
    ],
    ['a line cut short', '   4: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:000', 4],
    ['no slot number', '0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0 0 1', 4],
    ['an empty line', '', 4],
  ] as const)('rejects %s', (_name, line, family) => {
    expect(parseProcNetLine(line, family)).toBeUndefined();
  });
});

// Every TCP state the kernel defines (include/net/tcp_states.h).
const TCP_STATES = [
  [0x01, 'ESTABLISHED'],
  [0x02, 'SYN_SENT'],
  [0x03, 'SYN_RECV'],
  [0x04, 'FIN_WAIT1'],
  [0x05, 'FIN_WAIT2'],
  [0x06, 'TIME_WAIT'],
  [0x07, 'CLOSE'],
  [0x08, 'CLOSE_WAIT'],
  [0x09, 'LAST_ACK'],
  [0x0a, 'LISTEN'],
  [0x0b, 'CLOSING'],
  [0x0c, 'NEW_SYN_RECV'],
] as const;

describe('classification', () => {
  it.each(TCP_STATES)('tcp state %i (%s)', (state, name) => {
    const listen = name === 'LISTEN';
    expect(classifySocket('tcp', { localPort: 31000, remotePort: 443, state })).toBe(
      listen ? 'listener' : 'connected',
    );
    expect(classifySocket('tcp', { localPort: 31000, remotePort: 0, state })).toBe(
      listen ? 'listener' : 'other',
    );
  });

  it.each(TCP_STATES.filter(([, name]) => name !== 'LISTEN'))(
    'a tcp socket in state %i (%s) with a NodePort as local port is counted, in both families',
    (state) => {
      for (const family of [4, 6] as const) {
        const counted = summarizeSockets(
          talliesOf([{ proto: 'tcp', family, local: 31000, remote: 443, state }]),
          NODE_PORTS,
        );
        expect(counted.evidence.nodePortSourcePorts).toEqual({ range: '30000-32767', count: 1 });
        expect(counted.evidence.listeners).toEqual({ tcp: '', udp: '' });
        // Bound without a peer: neither a listener nor a source port.
        const unbound = summarizeSockets(
          talliesOf([{ proto: 'tcp', family, local: 31000, remote: 0, state }]),
          NODE_PORTS,
        );
        expect(unbound.evidence.nodePortSourcePorts?.count).toBe(0);
        expect(unbound.evidence.listeners).toEqual({ tcp: '', udp: '' });
      }
    },
  );

  it.each([
    ['unconnected (07)', 0, 7, 'listener'],
    ['connected (01)', 53, 1, 'connected'],
    ['unconnected, whatever its st column', 0, 1, 'listener'],
  ] as const)('udp %s is a %s', (_name, remotePort, state, expected) => {
    expect(classifySocket('udp', { localPort: 30053, remotePort, state })).toBe(expected);
  });

  it('local port 0 is neither', () => {
    expect(classifySocket('tcp', { localPort: 0, remotePort: 0, state: 0x0a })).toBe('other');
    expect(classifySocket('udp', { localPort: 0, remotePort: 53, state: 1 })).toBe('other');
  });

  it.each([
    [29999, 0],
    [30000, 1],
    [32767, 1],
    [32768, 0],
  ])('a connected socket on local port %i counts %i, for each protocol and family', (local, count) => {
    for (const [proto, family] of TABLES) {
      const s = summarizeSockets(talliesOf([{ proto, family, local, remote: 443, state: 1 }]), NODE_PORTS);
      expect(s.evidence.nodePortSourcePorts, `${proto}${family}`).toEqual({ range: '30000-32767', count });
    }
  });

  it.each([
    ['tcp', 0x0a],
    ['udp', 0x07],
  ] as const)(
    '%s connections on a listener port are accepted, not source ports, in either order and family',
    (proto, listenState) => {
      const accepted = [
        { proto, family: 6 as const, local: 30080, remote: 50000, state: 1 },
        { proto, family: 4 as const, local: 30080, remote: 50001, state: 6 },
      ];
      const listener = { proto, family: 4 as const, local: 30080, remote: 0, state: listenState };
      for (const socks of [
        [...accepted, listener],
        [listener, ...accepted],
      ]) {
        const s = summarizeSockets(talliesOf(socks), NODE_PORTS);
        expect(s.evidence.listeners?.[proto]).toBe('30080');
        expect(s.evidence.nodePortSourcePorts?.count).toBe(0);
      }
      // A listener of the other protocol on that port does not excuse them.
      const other = proto === 'tcp' ? 'udp' : 'tcp';
      const s = summarizeSockets(
        talliesOf([...accepted, { ...listener, proto: other, state: other === 'tcp' ? 0x0a : 0x07 }]),
        NODE_PORTS,
      );
      expect(s.evidence.nodePortSourcePorts?.count).toBe(2);
    },
  );
});

/** Evidence and malformed lines of each fixture tree, with NodePort range 30000-32767. */
const FIXTURE_CASES: [string, SocketSummary['evidence'], number][] = [
  [
    // Every TCP state; listeners in and out of the NodePort range; connections accepted by the
    // 30080 (tcp), 31080 (tcp6, IPv4-mapped) and 30053 (udp) listeners; the range's bounds.
    // Counted: tcp 12 (one per non-LISTEN state, plus 32767), tcp6 3, udp 2, udp6 2.
    'synthetic',
    {
      listeners: { tcp: '22,9100,10248,10250,30080-30082,31080', udp: '53,323,546,5353,8472,30053' },
      nodePortSourcePorts: { range: '30000-32767', count: 19 },
    },
    0,
  ],
  [
    // A real capture (Linux 6.18) with a Node.js process holding: listeners on 0.0.0.0:30080 and
    // [::]:10250, clients bound to 31000 and 32767 (counted), a TIME_WAIT from 30000 (counted),
    // one from ::1 port 32768 (not), the accepted ends (not), udp 0.0.0.0:30053 and [::]:8472,
    // udp 31500 -> 30053 (counted), udp6 29999 -> 8472 (not).
    'captured',
    {
      listeners: { tcp: '2024,10250,30080', udp: '8472,30053' },
      nodePortSourcePorts: { range: '30000-32767', count: 4 },
    },
    0,
  ],
  ['empty', { listeners: { tcp: '', udp: '' }, nodePortSourcePorts: { range: '30000-32767', count: 0 } }, 0],
  [
    // Six bad lines in tcp, two in tcp6; a blank line is not one; udp6 lacks its final newline.
    'malformed',
    { listeners: { tcp: '2379', udp: '' }, nodePortSourcePorts: { range: '30000-32767', count: 2 } },
    8,
  ],
];

describe('fixtures', () => {
  it.each(FIXTURE_CASES)('%s: parsed text', async (dir, evidence, malformed) => {
    const s = summarizeSockets(await fixtureTallies(dir), NODE_PORTS);
    expect(s.evidence).toEqual(evidence);
    expect(s.diagnostics.malformedLines).toBe(malformed);
    expect(s.diagnostics.unknownProtocols).toEqual([]);
    expect(s.diagnostics.notes).toHaveLength(malformed > 0 ? 2 : 0);
  });

  it.each(FIXTURE_CASES)('%s: read from the proc tree', async (dir, evidence, malformed) => {
    const s = await readNodeSockets(join(FIXTURES, dir), NODE_PORTS);
    expect(s.evidence).toEqual(evidence);
    expect(s.diagnostics.malformedLines).toBe(malformed);
    expect(s.diagnostics.files.map((f) => [f.file.slice(FIXTURES.length), f.status])).toEqual(
      TABLES.map(([, , file]) => [join(dir, 'net', file), 'read']),
    );
  });

  it.each(FIXTURE_CASES)('%s: the entry it makes is one the server accepts', async (dir) => {
    const { evidence } = await readNodeSockets(join(FIXTURES, dir), NODE_PORTS);
    const entry = formatNodeEntry({ ipLocalPortRange: '32768 60999', ...evidence });
    const parsed = parseNodeRanges({ 'node.a': entry });
    expect(parsed.errors).toEqual([]);
    expect(parsed.ranges.nodes.get('a')?.evidence?.nodePortSourcePorts?.count).toBe(
      evidence.nodePortSourcePorts?.count,
    );
  });

  it('the synthetic tcp table covers every TCP state', async () => {
    const states = new Set<number>();
    for (const file of ['tcp', 'tcp6']) {
      const text = await readFile(join(FIXTURES, 'synthetic', 'net', file), 'latin1');
      for (const line of text.split('\n')) {
        const s = parseProcNetLine(line, file === 'tcp' ? 4 : 6);
        if (s) states.add(s.state);
      }
    }
    expect([...states].sort((a, b) => a - b)).toEqual(TCP_STATES.map(([s]) => s));
  });
});

describe('caps', () => {
  // Listeners on 1000, 1002, ..., 1018 (10 ranges), then 30500, 31000-31002, 40000.
  const spread = [
    ...Array.from({ length: 10 }, (_, i) => 1000 + 2 * i),
    30500,
    31000,
    31001,
    31002,
    40000,
  ].map((local) => ({ proto: 'tcp' as const, family: 4 as const, local, remote: 0, state: 0x0a }));

  it.each([
    [20, '1000,1002,1004,1006,1008,1010,1012,1014,1016,1018,30500,31000-31002,40000', false, 0],
    [13, '1000,1002,1004,1006,1008,1010,1012,1014,1016,1018,30500,31000-31002,40000', false, 0],
    [3, '1000,30500,31000-31002', true, 10],
    [2, '30500,31000-31002', true, 11],
    [1, '30500', true, 12],
    [0, '', true, 13],
  ])(
    'at most %i ranges: NodePort-range ranges first, then the lowest',
    (maxListenerRanges, tcp, truncated, dropped) => {
      const s = summarizeSockets(talliesOf(spread), NODE_PORTS, { maxListenerRanges });
      expect(s.evidence.listeners?.tcp).toBe(tcp);
      expect(s.evidence.listenersTruncated).toBe(truncated ? true : undefined);
      expect(s.diagnostics.droppedListenerRanges).toEqual({ tcp: dropped, udp: 0 });
      expect(s.diagnostics.notes.some((n) => n.startsWith('tcp: 13 listener ranges'))).toBe(truncated);
    },
  );

  it('a range meeting the NodePort range is kept whole', () => {
    const socks = [29998, 29999, 30000, 30001, 2000].map((local) => ({
      proto: 'udp' as const,
      family: 6 as const,
      local,
      remote: 0,
      state: 7,
    }));
    const s = summarizeSockets(talliesOf(socks), NODE_PORTS, { maxListenerRanges: 1 });
    expect(s.evidence.listeners?.udp).toBe('29998-30001');
    expect(s.evidence.listenersTruncated).toBe(true);
  });

  // Header + 3 sockets: 4 lines.
  const text = table('tcp', 4, [
    { local: 22, remote: 0, state: 0x0a },
    { local: 31000, remote: 443, state: 1 },
    { local: 31001, remote: 443, state: 1 },
  ]);

  it.each([
    [4, 'read', 2],
    [100, 'read', 2],
    [3, 'truncated', 1],
    [1, 'truncated', 0],
  ] as const)('a cap of %i lines: %s, %i counted', (maxLines, status, count) => {
    const tally = parseProcNet(text, 'tcp', 4, { maxLines });
    expect(tally.files[0]).toMatchObject({ status, lines: Math.min(maxLines, 4), malformedLines: 0 });
    const s = summarizeSockets({ tcp: tally }, NODE_PORTS);
    expect(s.evidence.nodePortSourcePorts?.count).toBe(count);
    expect(s.evidence.listenersTruncated).toBe(status === 'truncated' ? true : undefined);
    expect(s.diagnostics.lineCapHit).toBe(status === 'truncated');
    expect(s.diagnostics.notes.some((n) => n.includes('lower bound'))).toBe(status === 'truncated');
  });

  it('the reader stops each file at the line cap', async () => {
    const s = await readNodeSockets(join(FIXTURES, 'synthetic'), NODE_PORTS, { maxLinesPerFile: 4 });
    expect(s.diagnostics.files.map((f) => [f.status, f.lines])).toEqual([
      ['truncated', 4],
      ['truncated', 4],
      ['truncated', 4],
      ['truncated', 4],
    ]);
    expect(s.evidence).toEqual({
      listeners: { tcp: '22,9100,10248,10250,31080', udp: '53,323,546,5353,8472' },
      listenersTruncated: true,
      // Only udp6's third line, ::1 port 30002 -> ::1 port 53, is a source port before the cap.
      nodePortSourcePorts: { range: '30000-32767', count: 1 },
    });
  });

  it('rejects caps and ranges that make no sense', () => {
    const tallies = talliesOf([]);
    expect(() => summarizeSockets(tallies, { lo: 30000, hi: 29999 })).toThrow(RangeError);
    expect(() => summarizeSockets(tallies, { lo: 0, hi: 10 })).toThrow(RangeError);
    expect(() => summarizeSockets(tallies, NODE_PORTS, { maxListenerRanges: -1 })).toThrow(RangeError);
    expect(() => parseProcNet('', 'tcp', 4, { maxLines: 0 })).toThrow(RangeError);
    expect(() => parseProcNet('', 'udp', 4, { into: new SocketTally('tcp') })).toThrow(RangeError);
  });
});

describe('line splitting', () => {
  it('a line longer than any kernel line is malformed, and the next line still counts', () => {
    const long = `   0: 0100007F:7918 0100007F:01BB 01 ${'0'.repeat(5000)}`;
    const good = socketLine({ proto: 'tcp', family: 4, local: 31000, remote: 443, state: 1 }, 1);
    const text = `${HEADER.tcp[4]}\n${long}\n${good}\n`;
    for (const chunks of [[text], text.match(/[\s\S]{1,100}/g)!]) {
      const tally = parseProcNet(chunks, 'tcp', 4);
      expect(tally.files[0]).toMatchObject({ lines: 3, malformedLines: 1 });
      expect(tally.connected[31000]).toBe(1);
    }
  });

  it('the header is skipped only as the first line', () => {
    const tally = parseProcNet(`${HEADER.udp[4]}\n${HEADER.udp[4]}\n`, 'udp', 4);
    expect(tally.files[0]).toMatchObject({ lines: 2, malformedLines: 1 });
  });
});

describe('readNodeSockets over a proc tree', () => {
  let proc: string;

  beforeEach(async () => {
    proc = await mkdtemp(join(tmpdir(), 'portguard-procnet-'));
    await cp(join(FIXTURES, 'synthetic'), proc, { recursive: true });
  });
  afterEach(() => rm(proc, { recursive: true, force: true }));

  it('reads a missing tcp6 (IPv6 disabled) as empty', async () => {
    await rm(join(proc, 'net', 'tcp6'));
    await rm(join(proc, 'net', 'udp6'));
    const s = await readNodeSockets(proc, NODE_PORTS);
    expect(s.evidence).toEqual({
      listeners: { tcp: '22,10248,10250,30080-30082', udp: '53,323,8472,30053' },
      nodePortSourcePorts: { range: '30000-32767', count: 14 },
    });
    expect(s.diagnostics.unknownProtocols).toEqual([]);
    expect(s.diagnostics.files.map((f) => f.status)).toEqual(['read', 'missing', 'read', 'missing']);
    expect(s.diagnostics.notes).toEqual([
      `${join(proc, 'net', 'tcp6')}: missing (IPv6 disabled), read as empty`,
      `${join(proc, 'net', 'udp6')}: missing (IPv6 disabled), read as empty`,
    ]);
  });

  it('leaves tcp out when tcp is missing, and says so', async () => {
    await rm(join(proc, 'net', 'tcp'));
    const s = await readNodeSockets(proc, NODE_PORTS);
    expect(s.evidence).toEqual({
      listeners: { udp: '53,323,546,5353,8472,30053' },
      nodePortSourcePorts: { range: '30000-32767', count: 4 },
    });
    expect(s.diagnostics.unknownProtocols).toEqual(['tcp']);
    expect(s.diagnostics.notes).toEqual([
      `${join(proc, 'net', 'tcp')}: missing, so tcp is unknown`,
      'tcp: listeners and source ports unknown, left out of the entry',
    ]);
  });

  it('leaves tcp out when tcp6 exists but cannot be read', async () => {
    await rm(join(proc, 'net', 'tcp6'));
    await mkdir(join(proc, 'net', 'tcp6'));
    const s = await readNodeSockets(proc, NODE_PORTS);
    expect(s.evidence.listeners).toEqual({ udp: '53,323,546,5353,8472,30053' });
    expect(s.diagnostics.files[1]).toMatchObject({
      status: 'unreadable',
      error: expect.stringMatching(/EISDIR/),
    });
    expect(s.diagnostics.unknownProtocols).toEqual(['tcp']);
  });

  it.each([
    [
      'every table is missing',
      async (dir: string) => {
        for (const [, , file] of TABLES) await rm(join(dir, 'net', file));
      },
    ],
    ['there is no net directory', (dir: string) => rm(join(dir, 'net'), { recursive: true })],
    ['the proc root does not exist', (dir: string) => rm(dir, { recursive: true })],
  ])('gives no evidence when %s', async (_name, breakIt) => {
    await breakIt(proc);
    const s = await readNodeSockets(proc, NODE_PORTS);
    expect(s.evidence).toEqual({});
    expect(s.diagnostics.unknownProtocols).toEqual(['tcp', 'udp']);
    expect(s.diagnostics.files.map((f) => f.status)).toEqual(['missing', 'missing', 'missing', 'missing']);
  });

  it('tallies a file larger than one read', async () => {
    const socks = Array.from({ length: 3000 }, (_, i) => ({
      local: 30000 + (i % 2768),
      remote: 443,
      state: 1,
    }));
    await writeFile(join(proc, 'net', 'udp'), table('udp', 4, socks));
    const s = await readNodeSockets(proc, NODE_PORTS);
    expect(s.diagnostics.files[2]).toMatchObject({ status: 'read', lines: 3001, malformedLines: 0 });
    expect(s.evidence.listeners?.udp).toBe('546,5353');
    // 3000 from udp, 12 + 3 from tcp and tcp6, 2 from udp6.
    expect(s.evidence.nodePortSourcePorts?.count).toBe(3017);
  });
});

describe('properties', () => {
  const port = fc.oneof(
    fc.integer({ min: 29_995, max: 30_005 }),
    fc.integer({ min: 32_760, max: 32_775 }),
    fc.integer({ min: 1, max: 65_535 }),
  );
  const sock: fc.Arbitrary<Sock> = fc.record({
    proto: fc.constantFrom('tcp' as const, 'udp' as const),
    family: fc.constantFrom(4 as const, 6 as const),
    local: port,
    remote: fc.oneof(fc.constant(0), port),
    state: fc.integer({ min: 1, max: 12 }),
  });
  const range = fc
    .tuple(fc.integer({ min: 1, max: 65_535 }), fc.integer({ min: 0, max: 3000 }))
    .map(([lo, size]) => ({ lo, hi: Math.min(65_535, lo + size) }));

  /** The classification rules, restated naively over the list. */
  function naive(socks: Sock[], r: { lo: number; hi: number }) {
    const listening = { tcp: new Set<number>(), udp: new Set<number>() };
    for (const s of socks)
      if (s.proto === 'tcp' ? s.state === 0x0a : s.remote === 0) listening[s.proto].add(s.local);
    const count = socks.filter(
      (s) =>
        (s.proto === 'tcp' ? s.state !== 0x0a : true) &&
        s.remote !== 0 &&
        s.local >= r.lo &&
        s.local <= r.hi &&
        !listening[s.proto].has(s.local),
    ).length;
    return { listening, count };
  }

  it('listeners round-trip through parseReservedPorts and the count matches a recount', () => {
    fc.assert(
      fc.property(fc.array(sock, { maxLength: 200 }), range, (socks, r) => {
        const expected = naive(socks, r);
        const s = summarizeSockets(talliesOf(socks), r, { maxListenerRanges: 65_535 });
        expect(s.evidence.listenersTruncated).toBeUndefined();
        for (const proto of ['tcp', 'udp'] as const) {
          const back = parseReservedPorts(s.evidence.listeners![proto]!);
          expect(
            back.ranges().flatMap(({ lo, hi }) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)),
          ).toEqual([...expected.listening[proto]].sort((a, b) => a - b));
        }
        expect(s.evidence.nodePortSourcePorts).toEqual({ range: `${r.lo}-${r.hi}`, count: expected.count });
      }),
    );
  });

  it('under a range cap, the listeners kept are real ones, at most the cap, with the flag set when any were dropped', () => {
    fc.assert(
      fc.property(
        fc.array(sock, { maxLength: 100 }),
        range,
        fc.integer({ min: 0, max: 8 }),
        (socks, r, cap) => {
          const full = summarizeSockets(talliesOf(socks), r, { maxListenerRanges: 65_535 });
          const capped = summarizeSockets(talliesOf(socks), r, { maxListenerRanges: cap });
          let dropped = false;
          for (const proto of ['tcp', 'udp'] as const) {
            const all = parseReservedPorts(full.evidence.listeners![proto]!);
            const kept = parseReservedPorts(capped.evidence.listeners![proto]!);
            expect(kept.subtract(all).isEmpty()).toBe(true);
            expect(kept.ranges().length).toBeLessThanOrEqual(cap);
            if (!kept.equals(all)) dropped = true;
          }
          expect(capped.evidence.listenersTruncated === true).toBe(dropped);
          expect(capped.evidence.nodePortSourcePorts).toEqual(full.evidence.nodePortSourcePorts);
        },
      ),
    );
  });

  it('splitting the text into chunks anywhere changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(sock, { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 20 }),
        (socks, cuts) => {
          for (const [proto, family] of TABLES) {
            const text = table(
              proto,
              family,
              socks.filter((s) => s.proto === proto && s.family === family),
            ).concat('garbage line\n', '   9: 0100007F');
            const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
            const chunks = [0, ...at].map((start, i) => text.slice(start, at[i] ?? text.length));
            const whole = parseProcNet(text, proto, family);
            const split = parseProcNet(chunks, proto, family);
            expect(split.files).toEqual(whole.files);
            expect(split.sockets).toBe(whole.sockets);
            expect(Buffer.from(split.listening).equals(Buffer.from(whole.listening))).toBe(true);
            expect(Buffer.from(split.connected.buffer).equals(Buffer.from(whole.connected.buffer))).toBe(
              true,
            );
          }
        },
      ),
    );
  });
});
