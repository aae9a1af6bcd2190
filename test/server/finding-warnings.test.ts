import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/types.js';
import { MAX_WARNING_CHARS, sanitizeWarnings } from '../../src/server/admission-response.js';
import {
  findingWarnings,
  MAX_FINDING_WARNINGS,
  MAX_WARNINGS_PER_FINDING,
  wrapFinding,
} from '../../src/server/finding-warnings.js';

const HOSTNET =
  'hostNetwork port 8080/TCP is inside the ephemeral range 1024-65535 of worker-1, worker-2, worker-3 and 4997 ' +
  'more; an outgoing connection can hold it and the bind fails with EADDRINUSE. Use a port below the range or ' +
  'add 8080 to net.ipv4.ip_local_reserved_ports on those nodes.';
const NODE_WRITE =
  'writes net.ipv4.ip_local_port_range=1024-65535 on the node (hostNetwork script) on w-0, w-4, w-8 and 3748 ' +
  'more, so ports 30000-32767 of the NodePort range become source ports and replies to them are captured by ' +
  'NodePort rules. Keep the range outside 30000-32767, reserve the overlap with ' +
  'net.ipv4.ip_local_reserved_ports, or guard the script with if [ "$POD_IP" != "$HOST_IP" ].';

const codePoints = (s: string) => [...s].length;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** The message text of wrapped lines: prefixes off, continuations joined. */
const unwrap = (lines: readonly string[], first: string, next: string) =>
  lines.map((l, i) => l.slice(i === 0 ? first.length : next.length)).join(' ');

function finding(rule: string, message: string, preexisting = false): Finding {
  return {
    rule: rule as Finding['rule'],
    severity: 'warn',
    kind: 'Pod',
    namespace: 'ns',
    name: 'p',
    path: 'spec',
    nodes: [],
    nodeCount: 0,
    message,
    ...(preexisting ? { preexisting } : {}),
  };
}

describe('wrapFinding', () => {
  it.each([
    [
      'a short message',
      'nodeport-in-ephemeral-range',
      'nodePort 32582 is in range.',
      ['nodeport-in-ephemeral-range: nodePort 32582 is in range.'],
    ],
    [
      'a long message, wrapped whole at word boundaries',
      'hostnetwork-port-in-ephemeral-range',
      HOSTNET,
      [
        'hostnetwork-port-in-ephemeral-range: hostNetwork port 8080/TCP is inside the ephemeral range 1024-65535 of worker-1,',
        '… worker-2, worker-3 and 4997 more; an outgoing connection can hold it and the bind fails with EADDRINUSE. Use a port',
        '… below the range or add 8080 to net.ipv4.ip_local_reserved_ports on those nodes.',
      ],
    ],
    [
      'a message too long for three: problem shortened, fix whole',
      'port-range-overlaps-nodeports',
      NODE_WRITE,
      [
        'port-range-overlaps-nodeports: writes net.ipv4.ip_local_port_range=1024-65535 on the node (hostNetwork script) on w-0,',
        '… w-4, w-8 and 3748 more, so ports 30000-32767 of the NodePort range become source… Keep the range outside 30000-32767,',
        '… reserve the overlap with net.ipv4.ip_local_reserved_ports, or guard the script with if [ "$POD_IP" != "$HOST_IP" ].',
      ],
    ],
    [
      'control characters and runs of spaces',
      'r',
      'line one\nline\ttwo  \u0007 end',
      ['r: line one line two end'],
    ],
    ['a lone surrogate', 'r', 'bad \uD800 text', ['r: bad \uFFFD text']],
  ])('%s', (_name, rule, message, want) => {
    expect(wrapFinding(rule, message)).toEqual(want);
  });

  it('keeps every word of a message that fits in three warnings', () => {
    const lines = wrapFinding('hostnetwork-port-in-ephemeral-range', HOSTNET);
    expect(unwrap(lines, 'hostnetwork-port-in-ephemeral-range: ', '… ')).toBe(HOSTNET);
  });

  it('numbers the lines of a finding with its tag', () => {
    const lines = wrapFinding('r', HOSTNET, '[2] ');
    expect(lines[0]).toMatch(/^\[2\] r: hostNetwork/);
    for (const l of lines.slice(1)) expect(l).toMatch(/^\[2\] … /);
  });

  it.each([
    ['rockets (surrogate pairs)', '🚀'.repeat(500)],
    ['rocket words', '🚀🚀 '.repeat(200)],
    ['accented words', 'déjà vu où ça '.repeat(60)],
    ['CJK without spaces', '漢字'.repeat(400)],
    ['a long word after ASCII', `port ${'x'.repeat(500)} end`],
  ])('%s: cut on code points, never half a pair, at most 120 each', (_name, message) => {
    const lines = wrapFinding('rule-id', message);
    expect(lines.length).toBeLessThanOrEqual(MAX_WARNINGS_PER_FINDING);
    for (const l of lines) {
      expect(codePoints(l)).toBeLessThanOrEqual(MAX_WARNING_CHARS);
      expect(l).not.toMatch(LONE_SURROGATE);
    }
    expect(lines.at(-1)).toMatch(/…$/);
  });

  it('answers a repeated finding from its cache with the same lines', () => {
    const once = wrapFinding('r', `${HOSTNET} (cache)`, '[4] ');
    expect(wrapFinding('r', `${HOSTNET} (cache)`, '[4] ')).toBe(once);
    expect(wrapFinding('r', `${HOSTNET} (cache)`, '[5] ')).not.toEqual(once);
    expect(wrapFinding('s', `${HOSTNET} (cache)`, '[4] ')).not.toEqual(once);
    expect(Object.isFrozen(once)).toBe(true);
  });

  it.each([
    ['words', `${'word '.repeat(400_000)}end. Use the fix.`],
    ['one word', `${'x'.repeat(2_000_000)}. Use the fix.`],
    ['rockets', `${'🚀 '.repeat(400_000)}end. Use the fix.`],
  ])('a message of megabytes (%s) shows its start and its fix', (_name, message) => {
    const lines = wrapFinding('r', message);
    expect(lines).toHaveLength(MAX_WARNINGS_PER_FINDING);
    expect(lines.at(-1)).toMatch(/… Use the fix\.$/);
    for (const l of lines) expect(codePoints(l)).toBeLessThanOrEqual(MAX_WARNING_CHARS);
    expect(lines[0]!.slice(3, 13)).toBe(message.slice(0, 10));
  });

  it('any message: at most three warnings of at most 120 code points, valid UTF-16, unchanged by sanitising', () => {
    const word = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
      fc.constantFrom('Use', 'Keep', 'e.g.', 'more;', 'EADDRINUSE.', '$X', '"a"'),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 80 }), fc.constantFrom('', '[3] '), (words, tag) => {
        const lines = wrapFinding('port-range-overlaps-nodeports', words.join(' '), tag);
        expect(lines.length).toBeGreaterThanOrEqual(1);
        expect(lines.length).toBeLessThanOrEqual(MAX_WARNINGS_PER_FINDING);
        for (const l of lines) {
          expect(codePoints(l)).toBeLessThanOrEqual(MAX_WARNING_CHARS);
          expect(l).not.toMatch(LONE_SURROGATE);
          expect(l.startsWith(tag)).toBe(true);
        }
        expect(sanitizeWarnings(lines)).toEqual(lines.map((l) => l.trim()).filter((l) => l !== ''));
      }),
    );
  });

  it('a message that fits is kept word for word; one that does not still ends with its last sentence', () => {
    const sentence = fc
      .array(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: 1, maxLength: 12 })
      .map((ws) => `Then ${ws.join(' ')}.`);
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 8 }), (sentences) => {
        const message = sentences.join(' ');
        const lines = wrapFinding('r', message);
        const text = unwrap(lines, 'r: ', '… ');
        if (message.length <= 3 * 100) expect(text).toBe(message);
        const fix = sentences.length > 1 ? message.slice(message.lastIndexOf('. ') + 2) : '';
        if (!text.endsWith('…') && fix !== '') expect(text.endsWith(fix)).toBe(true);
        if (fix.length <= 100 && fix !== '') expect(text.endsWith(fix)).toBe(true);
      }),
    );
  });
});

describe('findingWarnings', () => {
  it.each([
    ['no findings', [], []],
    ['one short finding, not numbered', [finding('r', 'short.')], ['r: short.']],
    ['a preexisting one', [finding('r', 'short.', true)], ['existing r: short.']],
    ['two findings, numbered', [finding('a', 'one.'), finding('b', 'two.')], ['[1] a: one.', '[2] b: two.']],
  ])('%s', (_name, findings, want) => {
    expect(findingWarnings(findings)).toEqual(want);
  });

  it.each([
    [3, 3, 9, 0],
    [4, 3, 10, 1],
    [12, 1, 10, 3],
    [10, 1, 10, 0],
    [11, 1, 10, 2],
  ])('%d findings of %d line(s): %d warnings, %d summarised', (count, linesEach, total, more) => {
    const message = linesEach === 3 ? HOSTNET : 'short.';
    const findings = Array.from({ length: count }, (_, i) => finding(`rule-${i}`, message));
    const out = findingWarnings(findings);
    expect(out).toHaveLength(total);
    if (more > 0)
      expect(out.at(-1)).toBe(`… ${more} more finding${more === 1 ? '' : 's'}, see audit annotations`);
    else expect(out.at(-1)).not.toMatch(/more findings/);
    expect(new Set(out).size).toBe(out.length);
  });

  it('any number of findings: at most MAX_FINDING_WARNINGS, every finding shown whole or counted', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('short.', HOSTNET, NODE_WRITE), { maxLength: 30 }), (messages) => {
        const out = findingWarnings(messages.map((m, i) => finding(`r${i}`, m)));
        expect(out.length).toBeLessThanOrEqual(MAX_FINDING_WARNINGS);
        const shown = new Set(
          out.map((w) => /^(?:\[(\d+)\] )?r\d+: /.exec(w)?.[1] ?? (w.startsWith('r') ? '1' : '')),
        );
        shown.delete('');
        const more = /^… (\d+) more findings?, see audit annotations$/.exec(out.at(-1) ?? '');
        expect(shown.size + Number(more?.[1] ?? 0)).toBe(messages.length);
      }),
    );
  });

  it('never repeats a warning, even for findings with the same text (the apiserver drops repeats)', () => {
    const out = findingWarnings([finding('r', HOSTNET), finding('r', HOSTNET), finding('r', HOSTNET)]);
    expect(out).toHaveLength(9);
    expect(new Set(out).size).toBe(9);
    expect(sanitizeWarnings(out)).toEqual(out);
  });
});
