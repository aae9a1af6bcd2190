import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatLocalPortRange,
  PortParseError,
  PortSet,
  parseLocalPortRange,
  parseLocalPortRangeWrite,
  parseNodePortRange,
  parseReservedPorts,
  rangeAfterWrite,
  staticBand,
} from '../../src/core/portset.js';

// Properties are checked against a brute-force model: a boolean per port in a small universe.
const UNIVERSE = 300;
const rangeArb = fc
  .tuple(fc.integer({ min: 1, max: UNIVERSE }), fc.integer({ min: 1, max: UNIVERSE }))
  .map(([a, b]) => ({ lo: Math.min(a, b), hi: Math.max(a, b) }));
const setArb = fc.array(rangeArb, { maxLength: 8 }).map((rs) => PortSet.of(...rs));

function model(s: PortSet): boolean[] {
  const out = new Array<boolean>(UNIVERSE + 2).fill(false);
  for (let p = 0; p <= UNIVERSE + 1; p++) out[p] = s.has(p);
  return out;
}

function fromModel(m: boolean[]): PortSet {
  return PortSet.ports(m.flatMap((v, p) => (v ? [p] : [])));
}

describe('PortSet properties', () => {
  it('is normalised: ranges sorted, disjoint and non-adjacent', () => {
    fc.assert(
      fc.property(setArb, (s) => {
        const rs = s.ranges();
        for (let i = 1; i < rs.length; i++) expect(rs[i]!.lo).toBeGreaterThan(rs[i - 1]!.hi + 1);
        for (const r of rs) expect(r.lo).toBeLessThanOrEqual(r.hi);
      }),
    );
  });

  it.each([
    ['union', (a: PortSet, b: PortSet) => a.union(b), (x: boolean, y: boolean) => x || y],
    ['intersect', (a: PortSet, b: PortSet) => a.intersect(b), (x: boolean, y: boolean) => x && y],
    ['subtract', (a: PortSet, b: PortSet) => a.subtract(b), (x: boolean, y: boolean) => x && !y],
  ])('%s matches the brute-force model', (_name, op, pointwise) => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const ma = model(a);
        const mb = model(b);
        const expected = fromModel(ma.map((x, i) => pointwise(x, mb[i]!)));
        expect(op(a, b).equals(expected)).toBe(true);
      }),
    );
  });

  it('size, nth and overlaps agree with membership', () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const members = model(a).flatMap((v, p) => (v ? [p] : []));
        expect(a.size()).toBe(members.length);
        for (const [i, p] of members.entries()) expect(a.nth(i)).toBe(p);
        expect(a.nth(members.length)).toBeUndefined();
        expect(a.overlaps(b)).toBe(!a.intersect(b).isEmpty());
      }),
    );
  });

  it('toString round-trips through the ip_local_reserved_ports parser', () => {
    fc.assert(
      fc.property(setArb, (s) => {
        expect(parseReservedPorts(s.toString()).equals(s)).toBe(true);
      }),
    );
  });

  it('parses any two in-range integers separated by arbitrary whitespace', () => {
    const ws = fc.constantFrom(' ', '\t', '  ', ' \t ', '\n');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), ws, (a, b, sep) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        expect(parseLocalPortRange(`${lo}${sep}${hi}\n`)).toEqual({ lo, hi });
      }),
    );
  });
});

describe('parsers', () => {
  it.each([
    ['32768 60999', { lo: 32768, hi: 60999 }],
    ['1024\t65535', { lo: 1024, hi: 65535 }],
    ['  40000   40000 ', { lo: 40000, hi: 40000 }],
  ])('parseLocalPortRange(%j)', (text, expected) => {
    expect(parseLocalPortRange(text)).toEqual(expected);
  });

  it.each([
    ['60999 32768', /greater than high/],
    ['0 100', /outside 1-65535/],
    ['1024 70000', /outside 1-65535/],
    ['1024', /two integers/],
    ['1024 2048 4096', /two integers/],
    ['a b', /not a port number/],
    ['', /two integers/],
    ['1024-65535', /two integers/],
  ])('parseLocalPortRange(%j) fails with %s', (text, message) => {
    expect(() => parseLocalPortRange(text)).toThrow(PortParseError);
    expect(() => parseLocalPortRange(text)).toThrow(message);
  });

  it.each([
    ['', ''],
    ['  ', ''],
    ['1,2-4,10-10', '1-4,10'],
    ['30000-32767', '30000-32767'],
    ['8080, 30000-30010 ,9090', '8080,9090,30000-30010'],
  ])('parseReservedPorts(%j) = %j', (text, expected) => {
    expect(parseReservedPorts(text).toString()).toBe(expected);
  });

  it.each([
    ['5-3', /start greater than end/],
    ['70000', /outside/],
    ['1,,2', /not a port number/],
    ['x-3', /not a port number/],
  ])('parseReservedPorts(%j) fails with %s', (text, message) => {
    expect(() => parseReservedPorts(text)).toThrow(message);
  });

  it.each([
    ['30000-32767', { lo: 30000, hi: 32767 }],
    ['30000+2767', { lo: 30000, hi: 32767 }],
    [' 20000 - 40000 ', { lo: 20000, hi: 40000 }],
  ])('parseNodePortRange(%j)', (text, expected) => {
    expect(parseNodePortRange(text)).toEqual(expected);
  });

  it.each(['32767-30000', '30000', '-5', 'abc-def'])('parseNodePortRange(%j) fails', (text) => {
    expect(() => parseNodePortRange(text)).toThrow(PortParseError);
  });
});

describe('staticBand (KEP-3668)', () => {
  it.each([
    [
      { lo: 30000, hi: 32767 },
      { lo: 30000, hi: 30085 },
    ],
    [
      { lo: 30000, hi: 30015 },
      { lo: 30000, hi: 30015 },
    ],
    [
      { lo: 30000, hi: 30100 },
      { lo: 30000, hi: 30015 },
    ],
    [
      { lo: 20000, hi: 39999 },
      { lo: 20000, hi: 20127 },
    ],
  ])('%j → %j', (range, band) => {
    expect(staticBand(range)).toEqual(band);
  });

  it('always lies inside the range and follows min(max(16, size/32), 128)', () => {
    fc.assert(
      fc.property(rangeArb, fc.integer({ min: 0, max: 30000 }), (r, shift) => {
        const range = { lo: r.lo + shift, hi: r.hi + shift * 2 };
        const band = staticBand(range);
        const size = range.hi - range.lo + 1;
        expect(band.lo).toBe(range.lo);
        expect(band.hi).toBeLessThanOrEqual(range.hi);
        if (size > 16) expect(band.hi - band.lo + 1).toBe(Math.min(Math.max(16, Math.floor(size / 32)), 128));
      }),
    );
  });
});

describe('a write to ip_local_port_range', () => {
  it.each([
    ['1024 65535', { lo: 1024, hi: 65535 }],
    ['  32767\t', { lo: 32767, hi: null }],
    ['1024\n65535\n', { lo: 1024, hi: 65535 }],
  ])('%j parses as %j', (text, want) => {
    expect(parseLocalPortRangeWrite(text)).toEqual(want);
  });

  it.each(['', '1 2 3', 'a', '70000', '60999 32768'])('%j is rejected', (text) => {
    expect(() => parseLocalPortRangeWrite(text)).toThrow(PortParseError);
  });

  it.each([
    [
      { lo: 32767, hi: null },
      { lo: 32768, hi: 60999 },
      { lo: 32767, hi: 60999 },
    ],
    [{ lo: 31000, hi: null }, { lo: 20000, hi: 29999 }, null],
    [
      { lo: 1024, hi: 65535 },
      { lo: 20000, hi: 29999 },
      { lo: 1024, hi: 65535 },
    ],
  ] as const)('%j on a kernel at %j leaves %j', (w, current, want) => {
    expect(rangeAfterWrite(w, current)).toEqual(want);
  });

  it('one number keeps the high bound or is rejected; two numbers replace both (property)', () => {
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(
      fc.property(port, port, port, (lo, a, b) => {
        const current = { lo: Math.min(a, b), hi: Math.max(a, b) };
        const r = rangeAfterWrite(parseLocalPortRangeWrite(String(lo)), current);
        if (lo > current.hi) expect(r).toBeNull();
        else expect(r).toEqual({ lo, hi: current.hi });
        const both = parseLocalPortRangeWrite(`${current.lo} ${current.hi}`);
        expect(rangeAfterWrite(both, { lo: 1, hi: 1 })).toEqual(current);
        expect(formatLocalPortRange(current)).toBe(`${current.lo} ${current.hi}`);
        expect(parseLocalPortRange(formatLocalPortRange(current))).toEqual(current);
      }),
    );
  });
});
