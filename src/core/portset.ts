/**
 * Port and range arithmetic. A PortSet is a sorted list of disjoint, non-adjacent
 * closed intervals, so membership is a binary search and set operations are linear
 * merges: the ranges ConfigMap and every rule reduce to these operations.
 */

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

export interface PortRange {
  lo: number;
  hi: number;
}

export class PortSet {
  /** Flattened [lo0, hi0, lo1, hi1, ...], sorted, disjoint and non-adjacent. */
  private readonly bounds: readonly number[];

  private constructor(bounds: number[]) {
    this.bounds = bounds;
  }

  static empty(): PortSet {
    return new PortSet([]);
  }

  static range(lo: number, hi: number): PortSet {
    return lo > hi ? PortSet.empty() : new PortSet([lo, hi]);
  }

  static of(...ranges: PortRange[]): PortSet {
    const sorted = ranges.filter((r) => r.lo <= r.hi).sort((a, b) => a.lo - b.lo || a.hi - b.hi);
    const out: number[] = [];
    for (const r of sorted) {
      const n = out.length;
      if (n > 0 && r.lo <= out[n - 1]! + 1) {
        if (r.hi > out[n - 1]!) out[n - 1] = r.hi;
      } else {
        out.push(r.lo, r.hi);
      }
    }
    return new PortSet(out);
  }

  static ports(ports: Iterable<number>): PortSet {
    return PortSet.of(...[...ports].map((p) => ({ lo: p, hi: p })));
  }

  ranges(): PortRange[] {
    const out: PortRange[] = [];
    for (let i = 0; i < this.bounds.length; i += 2)
      out.push({ lo: this.bounds[i]!, hi: this.bounds[i + 1]! });
    return out;
  }

  isEmpty(): boolean {
    return this.bounds.length === 0;
  }

  size(): number {
    let n = 0;
    for (let i = 0; i < this.bounds.length; i += 2) n += this.bounds[i + 1]! - this.bounds[i]! + 1;
    return n;
  }

  has(port: number): boolean {
    let lo = 0;
    let hi = this.bounds.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const a = this.bounds[2 * mid]!;
      const b = this.bounds[2 * mid + 1]!;
      if (port < a) hi = mid - 1;
      else if (port > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  union(other: PortSet): PortSet {
    return PortSet.of(...this.ranges(), ...other.ranges());
  }

  intersect(other: PortSet): PortSet {
    const a = this.ranges();
    const b = other.ranges();
    const out: PortRange[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = a[i]!;
      const y = b[j]!;
      const lo = Math.max(x.lo, y.lo);
      const hi = Math.min(x.hi, y.hi);
      if (lo <= hi) out.push({ lo, hi });
      if (x.hi < y.hi) i++;
      else j++;
    }
    return PortSet.of(...out);
  }

  subtract(other: PortSet): PortSet {
    const out: PortRange[] = [];
    const cut = other.ranges();
    for (const r of this.ranges()) {
      let lo = r.lo;
      for (const c of cut) {
        if (c.hi < lo) continue;
        if (c.lo > r.hi) break;
        if (c.lo > lo) out.push({ lo, hi: c.lo - 1 });
        lo = Math.max(lo, c.hi + 1);
        if (lo > r.hi) break;
      }
      if (lo <= r.hi) out.push({ lo, hi: r.hi });
    }
    return PortSet.of(...out);
  }

  overlaps(other: PortSet): boolean {
    return !this.intersect(other).isEmpty();
  }

  equals(other: PortSet): boolean {
    return this.bounds.length === other.bounds.length && this.bounds.every((v, i) => v === other.bounds[i]);
  }

  /** The nth port (0-based) in ascending order; used to pick uniformly among candidates. */
  nth(n: number): number | undefined {
    let rest = n;
    for (let i = 0; i < this.bounds.length; i += 2) {
      const len = this.bounds[i + 1]! - this.bounds[i]! + 1;
      if (rest < len) return this.bounds[i]! + rest;
      rest -= len;
    }
    return undefined;
  }

  /** Kernel `ip_local_reserved_ports` syntax: "1,2-4,10". */
  toString(): string {
    return this.ranges()
      .map((r) => (r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`))
      .join(',');
  }
}

export class PortParseError extends Error {}

const QUOTE_LIMIT = 100;

/**
 * Quotes input text for an error message, cut to QUOTE_LIMIT characters: a 1 MiB value
 * must not be copied into every log line, /readyz and kubectl output that shows the error.
 */
export function quoted(text: string): string {
  if (text.length <= QUOTE_LIMIT) return `"${text}"`;
  return `"${text.slice(0, QUOTE_LIMIT)}…" (${text.length} characters)`;
}

function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new PortParseError(`${what}: ${quoted(text)} is not a port number`);
  const n = Number(text);
  if (n < MIN_PORT || n > MAX_PORT)
    throw new PortParseError(`${what}: ${n} is outside ${MIN_PORT}-${MAX_PORT}`);
  return n;
}

/**
 * Parses `ip_local_port_range` as /proc prints it: two integers separated by any
 * whitespace. The kernel requires low <= high.
 */
export function parseLocalPortRange(text: string): PortRange {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0] === '') {
    throw new PortParseError(
      `${quoted(text)} must be two integers separated by whitespace, e.g. "32768 60999"`,
    );
  }
  const lo = parsePort(parts[0]!, 'low port');
  const hi = parsePort(parts[1]!, 'high port');
  if (lo > hi) throw new PortParseError(`low port ${lo} is greater than high port ${hi}`);
  return { lo, hi };
}

/** Parses `ip_local_reserved_ports` syntax ("1,2-4,10-10"); empty means none. */
export function parseReservedPorts(text: string): PortSet {
  const trimmed = text.trim();
  if (trimmed === '') return PortSet.empty();
  const ranges: PortRange[] = [];
  for (const raw of trimmed.split(',')) {
    const item = raw.trim();
    const dash = item.indexOf('-');
    if (dash < 0) {
      const p = parsePort(item, 'reserved port');
      ranges.push({ lo: p, hi: p });
    } else {
      const lo = parsePort(item.slice(0, dash).trim(), 'reserved range start');
      const hi = parsePort(item.slice(dash + 1).trim(), 'reserved range end');
      if (lo > hi) throw new PortParseError(`reserved range ${quoted(item)} has start greater than end`);
      ranges.push({ lo, hi });
    }
  }
  return PortSet.of(...ranges);
}

/** Parses `--service-node-port-range` syntax: "30000-32767" (or "30000+2767"). */
export function parseNodePortRange(text: string): PortRange {
  const t = text.trim();
  const plus = t.indexOf('+');
  if (plus > 0) {
    const lo = parsePort(t.slice(0, plus), 'nodePortRange start');
    const size = Number(t.slice(plus + 1));
    if (!Number.isInteger(size) || size < 0 || lo + size > MAX_PORT) {
      throw new PortParseError(`nodePortRange ${quoted(text)}: bad size`);
    }
    return { lo, hi: lo + size };
  }
  const dash = t.indexOf('-');
  if (dash <= 0) throw new PortParseError(`nodePortRange ${quoted(text)} must look like "30000-32767"`);
  const lo = parsePort(t.slice(0, dash).trim(), 'nodePortRange start');
  const hi = parsePort(t.slice(dash + 1).trim(), 'nodePortRange end');
  if (lo > hi) throw new PortParseError(`nodePortRange ${quoted(text)} has start greater than end`);
  return { lo, hi };
}

/**
 * The KEP-3668 static band: the lower part of the NodePort range that auto-allocation
 * uses last. offset = min(max(16, size/32), 128); no split when size <= 16.
 */
export function staticBand(range: PortRange): PortRange {
  const size = range.hi - range.lo + 1;
  if (size <= 16) return { ...range };
  const offset = Math.min(Math.max(16, Math.floor(size / 32)), 128);
  return { lo: range.lo, hi: range.lo + offset - 1 };
}

export function formatRange(r: PortRange): string {
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

/** An ip_local_port_range value as the kernel prints it (`1024 65535`), for messages. */
export function formatLocalPortRange(r: PortRange): string {
  return `${r.lo} ${r.hi}`;
}

/**
 * What a write to `ip_local_port_range` sets. The kernel parses up to two integers and keeps
 * what it was not given, so one number moves only the low bound (`hi: null`).
 */
export type LocalPortRangeWrite = { lo: number; hi: number } | { lo: number; hi: null };

export function parseLocalPortRangeWrite(text: string): LocalPortRangeWrite {
  const parts = text.trim().split(/\s+/);
  if (parts.length === 1 && parts[0] !== '') return { lo: parsePort(parts[0]!, 'low port'), hi: null };
  return parseLocalPortRange(text);
}

/**
 * The range a write leaves on a kernel whose current range is `current`; null when the
 * kernel rejects it there (a low bound above the current high one: EINVAL, nothing changes).
 */
export function rangeAfterWrite(w: LocalPortRangeWrite, current: PortRange): PortRange | null {
  const hi = w.hi ?? current.hi;
  return w.lo > hi ? null : { lo: w.lo, hi };
}
