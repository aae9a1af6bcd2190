import { describe, expect, it } from 'vitest';
import { builtinFor } from '../../src/shell/builtins/index.js';
import type { Stream } from '../../src/shell/stream.js';
import { lit, render, textOf, unknownValue, type Value } from '../../src/shell/value.js';
import { callOf, RecordingHost } from './recording-host.js';

/** Runs `words` through the builtins table, as the walker would. */
function run(host: RecordingHost, words: (string | Value)[], stdin: string | Stream | null = null) {
  const call = callOf(words, stdin);
  const builtin = builtinFor(call);
  if (!builtin) throw new Error(`no builtin runs ${call.base}`);
  return builtin.run(call, host);
}

const out = (s: Stream | null) =>
  s === null ? null : { text: render(s.value), line: s.line, perLine: s.perLine };
const PORTS = '/proc/sys/net/ipv4/ip_local_port_range';

describe('builtins table', () => {
  it('looks builtins up by basename and leaves other commands alone', () => {
    expect(builtinFor(callOf(['/bin/echo', 'x']))).toBe(builtinFor(callOf(['echo'])));
    expect(builtinFor(callOf(['ls', '-l']))).toBeUndefined();
  });
});

describe('echo and printf', () => {
  it('echo prints its arguments and a newline at the call line', () => {
    expect(out(run(new RecordingHost(), ['echo', '-n', '1024', '65535']))).toEqual({
      text: '1024 65535',
      line: 7,
      perLine: false,
    });
  });

  it('printf formats its arguments', () => {
    expect(out(run(new RecordingHost(), ['printf', '%s-%s\\n', 'a', 'b']))).toEqual({
      text: 'a-b\n',
      line: 7,
      perLine: false,
    });
  });

  it('printf -v assigns the output instead of printing it', () => {
    const host = new RecordingHost();
    expect(run(host, ['printf', '-v', 'R', '%s %s', '1', '2'])).toBeNull();
    expect(textOf(host.scope.lookup('R'))).toBe('1 2');
  });
});

describe('cat', () => {
  it('passes its stdin on when it has no file operand', () => {
    expect(out(run(new RecordingHost(), ['cat', '-'], 'a = 1\n'))).toEqual({
      text: 'a = 1\n',
      line: 3,
      perLine: true,
    });
  });

  it('prints a file whose content is known, with the line it came from', () => {
    const host = new RecordingHost().file('/etc/sysctl.d/1.conf', 'x = 1\n', 4);
    expect(out(run(host, ['cat', '/etc/sysctl.d/1.conf']))).toEqual({
      text: 'x = 1\n',
      line: 4,
      perLine: true,
    });
  });

  it('is unknown for an unknown file, several files or missing input', () => {
    const host = new RecordingHost().file('/a', 'x').file('/b', 'y');
    expect(run(host, ['cat', '/nope'])!.value).toEqual(unknownValue('cat of a file'));
    expect(textOf(run(host, ['cat', '/a', '/b'])!.value)).toBeNull();
    expect(run(host, ['cat'])!.value).toEqual(unknownValue('cat input is not resolvable'));
  });
});

describe('tee', () => {
  it('writes its input to every file operand and passes it on', () => {
    const host = new RecordingHost();
    const s = run(host, ['tee', '-a', PORTS, '/etc/sysctl.d/2.conf'], '1 2\n');
    expect(out(s)).toEqual({ text: '1 2\n', line: 3, perLine: true });
    expect(host.written).toEqual([
      { target: PORTS, content: lit('1 2\n'), append: true, line: 7 },
      { target: '/etc/sysctl.d/2.conf', content: lit('1 2\n'), append: true, line: 7 },
    ]);
  });

  it('writes unknown bytes when its input is unknown', () => {
    const host = new RecordingHost();
    run(host, ['tee', PORTS]);
    expect(host.written).toEqual([
      { target: PORTS, content: unknownValue('tee input is not resolvable'), append: false, line: 7 },
    ]);
  });
});
