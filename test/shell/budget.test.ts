import { describe, expect, it } from 'vitest';
import { createScriptAnalyzer } from '../../src/shell/index.js';

/** Generous bound: these tests check that time stays bounded, not how fast a machine is. */
const BOUND_MS = 2000;

function timed<T>(f: () => T): { result: T; ms: number } {
  const t0 = performance.now();
  const result = f();
  return { result, ms: performance.now() - t0 };
}

const MIB = 1024 * 1024;

const hostile: [string, string][] = [
  ['1 MiB of sysctl calls', 'sysctl -w net.core.somaxconn=65535\n'.repeat(Math.ceil(MIB / 35))],
  ['10,000 nested ifs', `${'if true; then\n'.repeat(10_000)}sysctl -w a.b=1\n${'fi\n'.repeat(10_000)}`],
  ['pathological quoting', '"\'$(`"'.repeat(100_000)],
  ['unterminated heredoc', `cat <<EOF > /etc/sysctl.conf\n${'a.b = 1\n'.repeat(50_000)}`],
  ['deep command substitution', `echo ${'$('.repeat(20_000)}`],
  ['deep subshells', `${'('.repeat(20_000)}sysctl -w a.b=1${')'.repeat(20_000)}`],
  ['long pipeline', `${'echo 1 | '.repeat(20_000)}tee /proc/sys/a/b`],
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
    const { result, ms } = timed(() => a.analyzeScript(hostile[0]![1]));
    expect(result.writes).toEqual([]);
    expect(result.unknown).toMatch(/byte limit/);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it.each(hostile)('%s finishes in bounded time with the default 50 ms budget', async (_name, script) => {
    const a = await createScriptAnalyzer({ maxBytes: 2 * MIB, cacheSize: 0 });
    const { result, ms } = timed(() => a.analyzeScript(script));
    expect(ms).toBeLessThan(BOUND_MS);
    // Either analysed or reported as unknown, never silently empty because of a crash.
    if (result.unknown) expect(result.writes).toEqual([]);
  });

  it.each(hostile)('%s stays bounded even with a large time budget', async (_name, script) => {
    const a = await createScriptAnalyzer({ maxBytes: 2 * MIB, budgetMs: 1500, cacheSize: 0 });
    const { result, ms } = timed(() => a.analyzeScript(script));
    expect(ms).toBeLessThan(BOUND_MS + 1500);
    expect(result).toBeDefined();
  });

  it('reports deep nesting as unknown rather than overflowing the stack', async () => {
    const a = await createScriptAnalyzer({ maxBytes: 2 * MIB, budgetMs: 5000, cacheSize: 0 });
    const r = a.analyzeScript(hostile[1]![1]);
    expect(r).toEqual({ writes: [], unknown: expect.stringMatching(/nests deeper|budget/) });
  });

  it('reports a timed-out parse as unknown', async () => {
    const a = await createScriptAnalyzer({ maxBytes: 2 * MIB, budgetMs: 1, cacheSize: 0 });
    const r = a.analyzeScript(hostile[0]![1]);
    expect(r).toEqual({ writes: [], unknown: expect.stringMatching(/budget/) });
    // The parser is reset after a cancelled parse and works for the next script.
    expect(a.analyzeScript('sysctl -w a.b=1').writes).toHaveLength(1);
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

  it('limits recursion of functions and nested shells', async () => {
    const a = await createScriptAnalyzer();
    const r = a.analyzeScript('f() { sysctl -w a.b=1; f; }\nf');
    expect(r.unknown).toBeUndefined();
    expect(r.writes.length).toBeGreaterThan(0);
    expect(r.writes.length).toBeLessThanOrEqual(8);
    const nested = a.analyzeScript(`sh -c 'sh -c "sh -c \\"sysctl -w a.b=1\\""'`);
    expect(nested.writes).toMatchObject([{ key: 'a.b', value: '1' }]);
  });
});
