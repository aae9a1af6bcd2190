import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzer, GUARD_ENV } from './helpers.js';

/** POSIX single-quoting: the one quoting that needs no knowledge of special characters. */
function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Double-quoting, escaping exactly the characters special inside double quotes. */
function dqQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += '$`"\\'.includes(ch) ? `\\${ch}` : ch;
  return `${out}"`;
}

// Printable values without newlines (a sysctl value is one line) or NUL.
const value = fc.string({
  unit: fc.constantFrom(...' abcXYZ019-_.,:/\'"$`\\!*?#&;|<>(){}[]~=%\t'.split('')),
  maxLength: 24,
});
const key = fc
  .array(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join('.'));

describe('properties', () => {
  it("any single-quoted value round-trips through sysctl -w k='v'", async () => {
    const a = await analyzer();
    fc.assert(
      fc.property(key, value, (k, v) => {
        const r = a.analyzeScript(`sysctl -w ${k}=${shQuote(v)}`);
        expect(r.writes).toEqual([{ key: k, value: v, via: 'sysctl', onlyInOwnNetns: false, line: 1 }]);
      }),
      { numRuns: 300 },
    );
  });

  it('any double-quoted value round-trips through sysctl -w k="v" and through a variable', async () => {
    const a = await analyzer();
    fc.assert(
      fc.property(key, value, (k, v) => {
        expect(a.analyzeScript(`sysctl -w ${k}=${dqQuote(v)}`).writes.map((w) => w.value)).toEqual([v]);
        expect(
          a.analyzeScript(`V=${shQuote(v)}\nsysctl -w ${dqQuote(`${k}=`)}"$V"`).writes.map((w) => w.value),
        ).toEqual([v]);
      }),
      { numRuns: 300 },
    );
  });

  it('exec form round-trips any value without quoting', async () => {
    const a = await analyzer();
    // `$` is excluded: Kubernetes itself rewrites `$$` and `$(VAR)` in command/args.
    const noDollar = value.filter((v) => !v.includes('$'));
    fc.assert(
      fc.property(key, noDollar, (k, v) => {
        expect(
          a.analyzeContainer(['sysctl', '-w', `${k}=${v}`], undefined).writes.map((w) => w.value),
        ).toEqual([v]);
      }),
      { numRuns: 200 },
    );
  });

  it('echo of any quoted string never writes a sysctl', async () => {
    const a = await analyzer();
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        expect(a.analyzeScript(`echo ${shQuote(`sysctl -w a.b=1 ${s}`)}`).writes).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('wrapping a write in the guard marks it, whatever the write', async () => {
    const a = await analyzer();
    fc.assert(
      fc.property(key, value, (k, v) => {
        const r = a.analyzeScript(
          `if [ "$POD_IP" != "$HOST_IP" ]; then\n  sysctl -w ${k}=${shQuote(v)}\nfi`,
          GUARD_ENV,
        );
        expect(r.writes).toEqual([{ key: k, value: v, via: 'sysctl', onlyInOwnNetns: true, line: 2 }]);
      }),
      { numRuns: 100 },
    );
  });

  it('never throws on arbitrary input', async () => {
    const a = await analyzer();
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = a.analyzeScript(s);
        expect(Array.isArray(r.writes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
