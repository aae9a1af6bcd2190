import { describe, expect, it } from 'vitest';
import { ANALYSIS_DEFAULTS, createScriptAnalyzer } from '../../src/shell/index.js';

const MIB = 1024 * 1024;
const WIDEN = 'sysctl -w net.ipv4.ip_local_port_range="1024 65535"\n';

const hostile: [string, string][] = [
  ['1 MiB of sysctl calls', 'sysctl -w net.core.somaxconn=65535\n'.repeat(Math.ceil(MIB / 35))],
  ['10,000 nested ifs', `${'if true; then\n'.repeat(10_000)}sysctl -w a.b=1\n${'fi\n'.repeat(10_000)}`],
  ['pathological quoting', '"\'$(`"'.repeat(100_000)],
  ['unterminated heredoc', `cat <<EOF > /etc/sysctl.conf\n${'a.b = 1\n'.repeat(50_000)}`],
  ['deep command substitution', `echo ${'$('.repeat(20_000)}`],
  ['deep subshells', `${'('.repeat(20_000)}sysctl -w a.b=1${')'.repeat(20_000)}`],
  ['long pipeline', `${'echo 1 | '.repeat(20_000)}tee /proc/sys/a/b`],
  [
    'functions that call each other in a loop',
    `${'f() { g; g; g; }\ng() { f; f; f; }\n'}${'f\n'.repeat(200)}`,
  ],
];

/** What is appended after a write the analysis must keep, whatever limit the tail reaches. */
const TAILS: [string, string][] = [
  ['a 256 KiB comment', `# ${'x'.repeat(256 * 1024 - 200)}\n`],
  ['200 nesting levels', `${'if true; then\n'.repeat(200)}:\n${'fi\n'.repeat(200)}`],
  ['a loop of functions', 'f() { g; g; g; }\ng() { f; f; f; }\nf\n'],
  ['30,000 statements', ':\n'.repeat(30_000)],
  ['shells nested past the limit', `sh -c 'sh -c "sh -c \\"sh -c \\\\\\"sh -c true\\\\\\"\\""'\n`],
];

describe('budget', () => {
  it('rejects scripts over maxBytes without parsing', async () => {
    const a = await createScriptAnalyzer({ maxBytes: 1024 });
    const r = a.analyzeScript('x'.repeat(2048));
    expect(r).toEqual({ writes: [], unknown: expect.stringMatching(/over the 1024 byte limit/) });
    expect(a.analyzeContainer(['sh', '-c', 'x'.repeat(2048)], undefined).unknown).toMatch(/byte limit/);
  });

  it('rejects a 1 MiB script under the default limits', async () => {
    const a = await createScriptAnalyzer();
    const result = a.analyzeScript(hostile[0]![1]);
    expect(result.writes).toEqual([]);
    expect(result.unknown).toMatch(/byte limit/);
  });

  it.each(hostile)(
    '%s: the same answer under any wall-clock limit (the budget counts steps)',
    async (_n, script) => {
      const quick = await createScriptAnalyzer({ maxBytes: 2 * MIB, cacheSize: 0, safetyLimitMs: 60_000 });
      const slow = await createScriptAnalyzer({ maxBytes: 2 * MIB, cacheSize: 0, safetyLimitMs: 600_000 });
      const a = quick.analyzeScript(script);
      expect(slow.analyzeScript(script)).toEqual(a);
      expect(quick.analyzeScript(script)).toEqual(a);
    },
  );

  it.each(TAILS)(
    'a write before %s is kept, and the rest is unknown or clean, never dropped',
    async (_n, tail) => {
      const a = await createScriptAnalyzer({ cacheSize: 0 });
      const r = a.analyzeScript(WIDEN + tail);
      expect(r.writes).toMatchObject([{ key: 'net.ipv4.ip_local_port_range', value: '1024 65535', line: 1 }]);
    },
  );

  it.each([
    ['the step limit', 'f() { g; g; g; }\ng() { f; f; f; }\nf\n', /stopped after \d+ steps|deeper/],
    ['the walker depth limit', `${'if true; then\n'.repeat(300)}:\n${'fi\n'.repeat(300)}`, /nests deeper/],
    ['the function call depth limit', 'f() { f; }\nf\n', /functions call each other more than 8 levels/],
    [
      'the nested shell limit',
      `sh -c 'sh -c "sh -c \\"sh -c \\\\\\"sh -c true\\\\\\"\\""'`,
      /shells nested more than 4 levels/,
    ],
  ])('reaching %s is reported as unknown', async (_n, script, reason) => {
    const a = await createScriptAnalyzer({ cacheSize: 0 });
    expect(a.analyzeScript(script).unknown).toMatch(reason);
  });

  it('a parse past its step limit is unknown, and the parser works for the next script', async () => {
    const a = await createScriptAnalyzer({ maxBytes: 2 * MIB, maxParseChecks: 1, cacheSize: 0 });
    const r = a.analyzeScript(hostile[0]![1]);
    expect(r).toEqual({ writes: [], unknown: expect.stringMatching(/parse stopped at its step limit/) });
    expect(a.analyzeScript('sysctl -w a.b=1').writes).toHaveLength(1);
  });

  it('a result cut short by the wall-clock safety limit is reported as unknown and not cached', async () => {
    const a = await createScriptAnalyzer({
      maxBytes: 2 * MIB,
      safetyLimitMs: 0,
      maxSteps: 1e9,
      maxParseChecks: 1e9,
    });
    const script = `${WIDEN}${':\n'.repeat(5_000)}`;
    const cut = a.analyzeScript(script);
    expect(cut.unknown).toMatch(/wall-clock safety limit/);
    const generous = await createScriptAnalyzer({ maxBytes: 2 * MIB, cacheSize: 0 });
    // The same analyzer answers afresh (not from a cached cut-short result) once time allows:
    // here the limit is still 0, so it is cut short again rather than served from the cache.
    expect(a.analyzeScript(script)).not.toBe(cut);
    expect(generous.analyzeScript(script).unknown).toBeUndefined();
  });

  it('the defaults leave room for real node-tuning scripts', () => {
    expect(ANALYSIS_DEFAULTS.maxSteps).toBeGreaterThanOrEqual(10_000);
    expect(ANALYSIS_DEFAULTS.maxParseChecks).toBeGreaterThanOrEqual(1_000);
  });

  it('flags a parse error that swallows sysctl code, keeping what it found', async () => {
    const a = await createScriptAnalyzer();
    const r = a.analyzeScript('sysctl -w a.b=1\nif then fi ) sysctl -w c.d=2 ((');
    expect(r.unknown).toMatch(/parse error/);
  });

  it('ignores parse errors away from sysctl code', async () => {
    const a = await createScriptAnalyzer();
    const r = a.analyzeScript('sysctl -w a.b=1\necho ) oops (');
    expect(r.unknown).toBeUndefined();
    expect(r.writes).toHaveLength(1);
  });

  it('a recursive function: the writes it makes are found, and the recursion limit is unknown', async () => {
    const a = await createScriptAnalyzer();
    const r = a.analyzeScript('f() { sysctl -w a.b=1; f; }\nf');
    expect(r.unknown).toMatch(/functions call each other/);
    expect(r.writes.length).toBeGreaterThan(0);
    expect(r.writes.length).toBeLessThanOrEqual(8);
    const nested = a.analyzeScript(`sh -c 'sh -c "sh -c \\"sysctl -w a.b=1\\""'`);
    expect(nested.writes).toMatchObject([{ key: 'a.b', value: '1' }]);
    expect(nested.unknown).toBeUndefined();
  });
});
