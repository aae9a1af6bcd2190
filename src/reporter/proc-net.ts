/**
 * The host's socket tables (`/proc/net/tcp`, `tcp6`, `udp`, `udp6`) as evidence for a node
 * entry: which ports have a listener (a NodePort there takes its traffic), and how many
 * connected sockets use a NodePort as their local port (the kernel handed a NodePort out
 * as a source port, the failure portguard exists to prevent).
 *
 * A busy node has 200k sockets (30 MB of text), so nothing here holds a list of sockets:
 * lines are streamed and each socket only bumps counters indexed by port (a bitmap of
 * listening ports and a count of connected sockets per local port, per protocol). Lines
 * that do not parse are counted and skipped, never thrown.
 *
 * The kernel prints each table in pieces, one read at a time, so a reading is not an
 * atomic snapshot: a socket that changes state mid-read may be missed or seen twice.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeEntryJson } from '../core/node-ranges.js';
import { MAX_PORT, MIN_PORT, type PortRange, PortSet } from '../core/portset.js';

export type SocketProtocol = 'tcp' | 'udp';
export type IpFamily = 4 | 6;

export interface SocketCaps {
  /**
   * Listener ranges kept per protocol; past it the entry says `listenersTruncated`. Ranges
   * meeting the NodePort range are kept first, then the lowest. Each range costs up to 12
   * characters of the node's entry (`30000-30002,`), and all entries share the ConfigMap's
   * 1 MiB.
   */
  maxListenerRanges: number;
  /** Lines read per file, header included: a pathological table cannot make a round run forever. */
  maxLinesPerFile: number;
}

export const DEFAULT_SOCKET_CAPS: SocketCaps = { maxListenerRanges: 256, maxLinesPerFile: 2_000_000 };

/** The fields of one socket line that classification needs. */
export interface ProcNetSocket {
  localPort: number;
  /** 0 when the socket has no peer. */
  remotePort: number;
  /** The `st` column: a TCP state number (UDP prints 07 unconnected, 01 connected). */
  state: number;
}

/** `st` 0A: TCP_LISTEN. */
const TCP_LISTEN = 0x0a;
/** Kernel lines are under 200 characters; a longer one is not a socket line and is not kept. */
const MAX_LINE_CHARS = 4096;
const HEADER = /^\s*sl\s/;
const FIELDS = '(?:\\s+\\S+){6}'; // tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
const LINE: Record<IpFamily, RegExp> = {
  4: new RegExp(
    `^\\s*\\d+:\\s+[0-9A-F]{8}:([0-9A-F]{4})\\s+[0-9A-F]{8}:([0-9A-F]{4})\\s+([0-9A-F]{2})${FIELDS}`,
    'i',
  ),
  6: new RegExp(
    `^\\s*\\d+:\\s+[0-9A-F]{32}:([0-9A-F]{4})\\s+[0-9A-F]{32}:([0-9A-F]{4})\\s+([0-9A-F]{2})${FIELDS}`,
    'i',
  ),
};

/**
 * Parses one data line of a `/proc/net/{tcp,udp}{,6}` table (`sl local_address rem_address
 * st ...`; addresses are hex `IP:PORT`, 8 hex digits of IPv4 or 32 of IPv6, the port in
 * 4 hex digits as a number). Undefined when the line is not one; the header is not one.
 */
export function parseProcNetLine(line: string, family: IpFamily): ProcNetSocket | undefined {
  const m = LINE[family].exec(line);
  if (!m) return undefined;
  return {
    localPort: Number.parseInt(m[1]!, 16),
    remotePort: Number.parseInt(m[2]!, 16),
    state: Number.parseInt(m[3]!, 16),
  };
}

/**
 * - `listener`: TCP in LISTEN; UDP with no peer (`ss` shows UNCONN), since anything sent to
 *   its port reaches it.
 * - `connected`: TCP in any other state and UDP, with a peer: its local port is either a
 *   source port the kernel picked or the port of a listener that accepted it.
 * - `other`: TCP bound but without a peer, and local port 0.
 */
export type SocketClass = 'listener' | 'connected' | 'other';

export function classifySocket(proto: SocketProtocol, socket: ProcNetSocket): SocketClass {
  if (socket.localPort === 0) return 'other';
  if (proto === 'tcp' && socket.state === TCP_LISTEN) return 'listener';
  if (socket.remotePort !== 0) return 'connected';
  return proto === 'udp' ? 'listener' : 'other';
}

/**
 * How reading one table went. `missing`: the file does not exist (for tcp6 and udp6, IPv6
 * is disabled: read as empty). `unreadable`: any other error, also mid-read. `truncated`:
 * the line cap stopped it.
 */
export type ProcNetFileStatus = 'read' | 'truncated' | 'missing' | 'unreadable';

export interface ProcNetFileReport {
  file: string;
  family: IpFamily;
  status: ProcNetFileStatus;
  /** Lines taken, header and blank lines included. */
  lines: number;
  malformedLines: number;
  error?: string;
}

/**
 * One protocol's tables (both families) as counters: about 320 KiB whatever their size.
 * Connected sockets are counted per local port for every port, because which of them are
 * accepted connections is known only once every listener has been seen.
 */
export class SocketTally {
  /** 1 at each port with a listener. */
  readonly listening = new Uint8Array(MAX_PORT + 1);
  /** Connected sockets per local port. */
  readonly connected = new Uint32Array(MAX_PORT + 1);
  sockets = 0;
  readonly files: ProcNetFileReport[] = [];

  constructor(readonly proto: SocketProtocol) {}

  add(socket: ProcNetSocket): void {
    this.sockets++;
    const cls = classifySocket(this.proto, socket);
    if (cls === 'listener') this.listening[socket.localPort] = 1;
    else if (cls === 'connected') this.connected[socket.localPort]!++;
  }

  /**
   * Whether this protocol's listeners are known: some table was read, none failed, and the
   * IPv4 table was not missing (only an IPv6 table may be, when IPv6 is disabled).
   */
  known(): boolean {
    return (
      this.files.some((f) => f.status === 'read' || f.status === 'truncated') &&
      !this.files.some((f) => f.status === 'unreadable' || (f.status === 'missing' && f.family === 4))
    );
  }
}

/** Splits text arriving in chunks into lines and feeds each to a tally, up to a line cap. */
class LineFeeder {
  private pending = '';
  private overlong = false;
  private stopped = false;

  constructor(
    private readonly tally: SocketTally,
    private readonly family: IpFamily,
    private readonly report: ProcNetFileReport,
    private readonly maxLines: number,
  ) {}

  /** Takes a chunk; false once the line cap is hit (the rest is not read). */
  push(chunk: string): boolean {
    if (this.stopped) return false;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.report.lines >= this.maxLines) {
        this.stopped = true;
        this.report.status = 'truncated';
        return false;
      }
      const nl = chunk.indexOf('\n', pos);
      if (nl < 0) {
        this.hold(chunk.slice(pos));
        return true;
      }
      this.line(chunk.slice(pos, nl));
      pos = nl + 1;
    }
    return true;
  }

  /** The last line may lack a newline. */
  end(): void {
    if (!this.stopped && (this.pending !== '' || this.overlong)) this.line('');
  }

  private hold(part: string): void {
    if (this.overlong) return;
    if (this.pending.length + part.length > MAX_LINE_CHARS) {
      this.overlong = true;
      this.pending = '';
    } else this.pending += part;
  }

  private line(tail: string): void {
    const first = this.report.lines === 0;
    this.report.lines++;
    if (this.overlong || this.pending.length + tail.length > MAX_LINE_CHARS) {
      this.overlong = false;
      this.pending = '';
      this.report.malformedLines++;
      return;
    }
    const text = this.pending === '' ? tail : this.pending + tail;
    this.pending = '';
    if (first && HEADER.test(text)) return;
    const socket = parseProcNetLine(text, this.family);
    if (socket) this.tally.add(socket);
    else if (text.trim() !== '') this.report.malformedLines++;
  }
}

function newReport(file: string, family: IpFamily): ProcNetFileReport {
  return { file, family, status: 'read', lines: 0, malformedLines: 0 };
}

function checkCaps(caps: Partial<SocketCaps> | undefined): SocketCaps {
  const c = { ...DEFAULT_SOCKET_CAPS, ...caps };
  if (!Number.isInteger(c.maxListenerRanges) || c.maxListenerRanges < 0)
    throw new RangeError(`maxListenerRanges must be an integer >= 0, not ${c.maxListenerRanges}`);
  if (!Number.isInteger(c.maxLinesPerFile) || c.maxLinesPerFile < 1)
    throw new RangeError(`maxLinesPerFile must be an integer >= 1, not ${c.maxLinesPerFile}`);
  return c;
}

export interface ParseProcNetOptions {
  /** Adds to this tally (one per protocol, fed with both families); else a new one. */
  into?: SocketTally;
  /** Name for the file report; defaults to `proc/net/<proto><6?>`. */
  file?: string;
  maxLines?: number;
}

/**
 * Tallies one table's text, given whole or in chunks split anywhere, and appends its file
 * report to the tally. For tables already in memory (tests, other sources); the reader
 * below streams files through the same line handling.
 */
export function parseProcNet(
  text: string | Iterable<string>,
  proto: SocketProtocol,
  family: IpFamily,
  options: ParseProcNetOptions = {},
): SocketTally {
  const tally = options.into ?? new SocketTally(proto);
  if (tally.proto !== proto) throw new RangeError(`a ${tally.proto} tally cannot take a ${proto} table`);
  const { maxLinesPerFile } = checkCaps(
    options.maxLines === undefined ? undefined : { maxLinesPerFile: options.maxLines },
  );
  const report = newReport(options.file ?? `proc/net/${proto}${family === 6 ? '6' : ''}`, family);
  tally.files.push(report);
  const feeder = new LineFeeder(tally, family, report, maxLinesPerFile);
  for (const chunk of typeof text === 'string' ? [text] : text) if (!feeder.push(chunk)) return tally;
  feeder.end();
  return tally;
}

/** The evidence fields of a node entry, exactly. */
export type SocketEvidence = Pick<NodeEntryJson, 'listeners' | 'listenersTruncated' | 'nodePortSourcePorts'>;

/** For the reporter's log; never written to the entry. */
export interface SocketDiagnostics {
  files: ProcNetFileReport[];
  malformedLines: number;
  /** Protocols whose tables could not be read: left out of `listeners` and of the count. */
  unknownProtocols: SocketProtocol[];
  /** Listener ranges past `maxListenerRanges`, per protocol. */
  droppedListenerRanges: Record<SocketProtocol, number>;
  /** A file hit the line cap: listeners may be missing and the count is a lower bound. */
  lineCapHit: boolean;
  /** One sentence per thing worth logging; empty when every table was read whole. */
  notes: string[];
}

export interface SocketSummary {
  evidence: SocketEvidence;
  diagnostics: SocketDiagnostics;
}

/** Maximal runs of listening ports, ascending. */
function listenerRanges(listening: Uint8Array): PortRange[] {
  const out: PortRange[] = [];
  for (let p = MIN_PORT; p <= MAX_PORT; p++) {
    if (listening[p] !== 1) continue;
    const lo = p;
    while (p < MAX_PORT && listening[p + 1] === 1) p++;
    out.push({ lo, hi: p });
  }
  return out;
}

/** At most `cap` ranges: those meeting the NodePort range first, then the lowest. */
function capRanges(ranges: PortRange[], nodePorts: PortRange, cap: number): PortRange[] {
  if (ranges.length <= cap) return ranges;
  const meets = (r: PortRange) => r.hi >= nodePorts.lo && r.lo <= nodePorts.hi;
  return [...ranges.filter(meets), ...ranges.filter((r) => !meets(r))].slice(0, cap);
}

/**
 * The node entry's evidence from the tallies of the protocols that were read (an absent
 * or unknown protocol is left out of `listeners`; with neither known there is no evidence):
 * - `listeners`: every listening port, not only NodePorts (the server intersects them with
 *   the cluster's range, which the reporter may not know exactly), per protocol, in
 *   `ip_local_reserved_ports` syntax; `""` means read and none.
 * - `nodePortSourcePorts`: connected sockets (per socket, not per port) of the known
 *   protocols whose local port lies in `nodePortRange`, except those whose local port
 *   has a listener of the same protocol (connections it accepted).
 */
export function summarizeSockets(
  tables: Partial<Record<SocketProtocol, SocketTally>>,
  nodePortRange: PortRange,
  caps?: Partial<SocketCaps>,
): SocketSummary {
  const { lo, hi } = nodePortRange;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < MIN_PORT || hi > MAX_PORT || lo > hi)
    throw new RangeError(`nodePortRange ${lo}-${hi} is not a port range`);
  const { maxListenerRanges } = checkCaps(caps);
  const diagnostics: SocketDiagnostics = {
    files: [],
    malformedLines: 0,
    unknownProtocols: [],
    droppedListenerRanges: { tcp: 0, udp: 0 },
    lineCapHit: false,
    notes: [],
  };
  const listeners: { tcp?: string; udp?: string } = {};
  let truncated = false;
  let count = 0;
  for (const proto of ['tcp', 'udp'] as const) {
    const tally = tables[proto];
    for (const f of tally?.files ?? []) {
      diagnostics.files.push(f);
      diagnostics.malformedLines += f.malformedLines;
      const note = fileNote(f, proto);
      if (note) diagnostics.notes.push(note);
    }
    if (!tally?.known()) {
      diagnostics.unknownProtocols.push(proto);
      diagnostics.notes.push(`${proto}: listeners and source ports unknown, left out of the entry`);
      continue;
    }
    if (tally.files.some((f) => f.status === 'truncated')) {
      truncated = true;
      diagnostics.lineCapHit = true;
    }
    const ranges = listenerRanges(tally.listening);
    const kept = capRanges(ranges, nodePortRange, maxListenerRanges);
    if (kept.length < ranges.length) {
      truncated = true;
      diagnostics.droppedListenerRanges[proto] = ranges.length - kept.length;
      diagnostics.notes.push(
        `${proto}: ${ranges.length} listener ranges, kept ${kept.length} (those meeting ${lo}-${hi} first)`,
      );
    }
    listeners[proto] = PortSet.of(...kept).toString();
    for (let p = lo; p <= hi; p++) if (tally.listening[p] !== 1) count += tally.connected[p]!;
  }
  if (listeners.tcp === undefined && listeners.udp === undefined) return { evidence: {}, diagnostics };
  const evidence: SocketEvidence = {
    listeners,
    nodePortSourcePorts: { range: `${lo}-${hi}`, count },
  };
  if (truncated) evidence.listenersTruncated = true;
  return { evidence, diagnostics };
}

function fileNote(f: ProcNetFileReport, proto: SocketProtocol): string | undefined {
  switch (f.status) {
    case 'missing':
      return f.family === 6
        ? `${f.file}: missing (IPv6 disabled), read as empty`
        : `${f.file}: missing, so ${proto} is unknown`;
    case 'unreadable':
      return `${f.file}: ${f.error ?? 'unreadable'}, so ${proto} is unknown`;
    case 'truncated':
      return `${f.file}: stopped at the cap of ${f.lines} lines; listeners may be missing and nodePortSourcePorts.count is a lower bound`;
    default:
      return f.malformedLines > 0 ? `${f.file}: ${f.malformedLines} malformed lines skipped` : undefined;
  }
}

/** Bytes per read; /proc/net seq files hand out whole lines up to the buffer size. */
const CHUNK_BYTES = 64 * 1024;

async function readTable(
  path: string,
  tally: SocketTally,
  family: IpFamily,
  maxLines: number,
): Promise<void> {
  const report = newReport(path, family);
  tally.files.push(report);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    report.status = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    report.error = (err as Error).message;
    return;
  }
  try {
    const feeder = new LineFeeder(tally, family, report, maxLines);
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) {
        feeder.end();
        break;
      }
      // The tables are ASCII: latin1 decodes any chunk boundary safely.
      if (!feeder.push(buf.toString('latin1', 0, bytesRead))) break;
    }
  } catch (err) {
    // What was tallied stays, but the protocol is now unknown, so none of it is reported.
    report.status = 'unreadable';
    report.error = (err as Error).message;
  } finally {
    await fh.close();
  }
}

/**
 * Reads the socket tables under `procRoot` and summarises them (see `summarizeSockets`),
 * in bounded memory whatever their size. `<procRoot>/net` is a symlink to `self/net`: the
 * tables of the reading process's network namespace, which for the reporter (hostNetwork)
 * is the host's. They are world-readable, so this needs no privilege.
 *
 * If the line cap stops a table, the count is a lower bound: the kernel prints TCP
 * listeners before other sockets and UDP sockets grouped by port, so the listeners that
 * decide which sockets are accepted connections have been seen by then.
 */
export async function readNodeSockets(
  procRoot: string,
  nodePortRange: PortRange,
  caps?: Partial<SocketCaps>,
): Promise<SocketSummary> {
  const c = checkCaps(caps);
  const tables = { tcp: new SocketTally('tcp'), udp: new SocketTally('udp') };
  for (const proto of ['tcp', 'udp'] as const) {
    await readTable(join(procRoot, 'net', proto), tables[proto], 4, c.maxLinesPerFile);
    await readTable(join(procRoot, 'net', `${proto}6`), tables[proto], 6, c.maxLinesPerFile);
  }
  return summarizeSockets(tables, nodePortRange, c);
}
