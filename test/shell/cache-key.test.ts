import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cacheKey, type KeyPart } from '../../src/shell/cache-key.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import type { CountedAnalysis, ScriptAnalysis } from '../../src/shell/types.js';

describe('the analyzer cache (lru-cache)', () => {
  const counted = (steps: number): CountedAnalysis => ({
    analysis: { writes: [] } satisfies ScriptAnalysis,
    steps,
    final: true,
  });

  it('evicts the least recently used entry', async () => {
    const c = await createScriptAnalyzer({ cacheSize: 2 });
    c.remember('a', counted(1));
    c.remember('b', counted(2));
    expect(c.cached('a')?.steps).toBe(1);
    c.remember('c', counted(3));
    expect(c.cached('b')).toBeUndefined();
    expect(c.cached('a')?.steps).toBe(1);
    expect(c.cached('c')?.steps).toBe(3);
  });

  it('stores nothing with capacity 0', async () => {
    const c = await createScriptAnalyzer({ cacheSize: 0 });
    c.remember('a', counted(1));
    expect(c.cached('a')).toBeUndefined();
  });

  it('never remembers a result the safety net cut short', async () => {
    const c = await createScriptAnalyzer({ cacheSize: 2 });
    c.remember('a', { ...counted(1), final: false });
    expect(c.cached('a')).toBeUndefined();
  });
});

describe('cacheKey', () => {
  it('keys differ by kind and payload', () => {
    expect(cacheKey('script', ['x'])).not.toBe(cacheKey('container', ['x']));
    expect(cacheKey('script', ['x', []])).not.toBe(cacheKey('script', ['x', [['A', '1', null]]]));
    expect(cacheKey('script', ['x'])).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, KeyPart, KeyPart]>([
    ['string boundaries', ['ab', 'c'], ['a', 'bc']],
    ['null and its spelling', [null], ['n']],
    ['empty and missing', [''], []],
    ['nesting', [['a'], 'b'], ['a', ['b']]],
    ['length-like text', ['1:a'], ['1', 'a']],
    ['a lone surrogate and U+FFFD (the same in UTF-8)', ['\uD800'], ['\uFFFD']],
    ['lone surrogates', ['\uD800'], ['\uDC00']],
    ['a pair and its halves', ['\uD83D\uDE00'], ['\uD83D', '\uDE00']],
    ['escaped and raw text', ['"\\uD800"'], ['\uD800']],
  ])('keys differ for %s', (_name, a, b) => {
    expect(cacheKey('k', a)).not.toBe(cacheKey('k', b));
  });

  it('keys are equal exactly when payloads are', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', '1', ':', 's', 'n', 'j', '"', '\\', '\uD800', '\uDE00', '\uFFFD', '😀'),
      maxLength: 4,
    });
    const { part } = fc.letrec<{ part: KeyPart }>((tie) => ({
      part: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.constant(null),
        fc.array(tie('part'), { maxLength: 3 }),
      ),
    }));
    fc.assert(
      fc.property(part, part, (a, b) => {
        expect(cacheKey('k', a) === cacheKey('k', b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 3000 },
    );
  });
});
