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

describe('sysctl', () => {
  it('writes key=value operands directly', () => {
    const host = new RecordingHost();
    expect(run(host, ['sysctl', '-w', 'net.ipv4.ip_local_port_range=1024 65535'])).toBeNull();
    expect(host.emitted).toEqual([
      { key: 'net.ipv4.ip_local_port_range', value: '1024 65535', via: 'sysctl', line: 7 },
    ]);
  });

  it('-p FILE writes what a known file holds, each entry at its own line', () => {
    const host = new RecordingHost().file('/etc/sysctl.d/9.conf', '# c\nnet.core.somaxconn = 4096\n', 20);
    run(host, ['sysctl', '-p', '/etc/sysctl.d/9.conf']);
    expect(host.emitted).toEqual([{ key: 'net.core.somaxconn', value: '4096', via: 'sysctl.d', line: 21 }]);
  });

  it('-p with a glob loads every matching file in the order they were written', () => {
    const host = new RecordingHost()
      .file('/etc/sysctl.d/b.conf', 'b.x = 2')
      .file('/etc/sysctl.d/sub/c.conf', 'c.x = 3')
      .file('/etc/sysctl.d/a.conf', 'a.x = 1');
    run(host, ['sysctl', '-p', '/etc/sysctl.d/*.conf']);
    expect(host.emitted.map((e) => e.key)).toEqual(['b.x', 'a.x']);
  });

  it('--system loads the known files in procps order', () => {
    const host = new RecordingHost()
      .file('/etc/sysctl.d/20.conf', 'b.x = 2')
      .file('/etc/sysctl.d/10.conf', 'a.x = 1');
    run(host, ['sysctl', '--system']);
    expect(host.emitted.map((e) => e.key)).toEqual(['a.x', 'b.x']);
  });

  it('a file whose content is not known may write anything: an unknown write, never nothing', () => {
    const host = new RecordingHost();
    run(host, ['sysctl', '-p', '/etc/other.conf']);
    run(host, ['sysctl', '-p', unknownValue('$F is not set')]);
    run(host, ['sysctl', '-p']);
    expect(host.emitted).toEqual([
      { key: '*', value: null, via: 'sysctl.d', line: 7 },
      { key: '*', value: null, via: 'sysctl.d', line: 7 },
    ]);
  });
});

describe('cp, dd and cd', () => {
  it('cp copies known content into sysctl.d and ignores other destinations', () => {
    const host = new RecordingHost().file('/src.conf', 'a.b = 1');
    run(host, ['cp', '/src.conf', '/etc/sysctl.d/1.conf']);
    run(host, ['cp', '/src.conf', '/tmp/x']);
    expect([...host.files.keys()]).toEqual(['/src.conf', '/etc/sysctl.d/1.conf']);
    expect(host.files.get('/etc/sysctl.d/1.conf')).toEqual(host.files.get('/src.conf'));
  });

  it('cp with other than two operands is not the builtin (a function named cp may run)', () => {
    expect(builtinFor(callOf(['cp', '-r', '/a', '/b']))).toBeUndefined();
    expect(builtinFor(callOf(['cp', '/a', '/b']))).toBeDefined();
  });

  it('dd writes stdin, or the known content of if=, to of=', () => {
    const host = new RecordingHost().file('/in', '5 6', 2);
    run(host, ['dd', `of=${PORTS}`], '1 2');
    run(host, ['dd', 'if=/in', `of=${PORTS}`]);
    run(host, ['dd', 'if=/nope', `of=${PORTS}`]);
    run(host, ['dd', `of=${PORTS}`]);
    run(host, ['dd', 'if=/in']);
    expect(host.written).toEqual([
      { target: PORTS, content: lit('1 2'), append: false, line: 7 },
      { target: PORTS, content: lit('5 6'), append: false, line: 7 },
      { target: PORTS, content: unknownValue('contents of /nope'), append: false, line: 7 },
      { target: PORTS, content: unknownValue('dd input is not resolvable'), append: false, line: 7 },
    ]);
  });

  it('cd sets $PWD: absolute, relative to the last known one, or unknown', () => {
    const host = new RecordingHost();
    run(host, ['cd', '/proc/sys']);
    run(host, ['cd', '-P', 'net']);
    expect(textOf(host.scope.lookup('PWD'))).toBe('/proc/sys/net');
    run(host, ['cd', unknownValue('$D is not set')]);
    expect(host.scope.lookup('PWD')).toEqual(unknownValue('cd to *'));
    run(host, ['cd']);
    expect(host.scope.lookup('PWD')).toEqual(unknownValue('cd to $HOME'));
  });
});

describe('exit and return', () => {
  it('end the block they run in', () => {
    const host = new RecordingHost();
    run(host, ['exit', '0']);
    expect(host.exited).toBe('exit');
    run(host, ['return']);
    expect(host.exited).toBe('return');
  });
});

describe('eval, trap and source run text in this shell', () => {
  it('eval joins its words with spaces', () => {
    const host = new RecordingHost();
    run(host, ['eval', 'sysctl', '-w', 'a.b=1']);
    expect(host.scripts).toEqual([{ script: 'sysctl -w a.b=1', line: 7, here: true }]);
  });

  it('eval of text that is not known is unknown, and runs nothing', () => {
    const host = new RecordingHost();
    run(host, ['eval', unknownValue('$CMD is not set')]);
    expect(host.scripts).toEqual([]);
    expect(host.unknowns).toEqual(['eval at line 7 runs text portguard cannot resolve']);
  });

  it('trap runs its handler, and `trap -`, `trap ""` set none', () => {
    const host = new RecordingHost();
    run(host, ['trap', 'echo 1 > /proc/sys/x', 'EXIT']);
    run(host, ['trap', '-', 'EXIT']);
    run(host, ['trap', '', 'TERM']);
    run(host, ['trap', '-p']);
    run(host, ['trap', unknownValue('$H is not set'), 'EXIT']);
    expect(host.scripts).toEqual([{ script: 'echo 1 > /proc/sys/x', line: 7, here: true }]);
    expect(host.unknowns).toEqual(['a trap handler at line 7 runs text portguard cannot resolve']);
  });

  it('`. FILE` runs a mounted file and is unknown for any other', () => {
    const host = new RecordingHost();
    host.mounted.set('/scripts/env.sh', 'V=1');
    run(host, ['.', '/scripts/env.sh']);
    run(host, ['source', '/etc/profile']);
    run(host, ['source']);
    expect(host.scripts).toEqual([{ script: 'V=1', line: 7, here: true }]);
    expect(host.unknowns).toEqual(['line 7 sources /etc/profile, a script file portguard cannot read']);
  });
});

describe('shells start a child shell', () => {
  it('sh -c SCRIPT gets the exported variables only, and $0 $1... from its arguments', () => {
    const host = new RecordingHost();
    host.scope.vars.set('E', { kind: 'value', value: lit('1'), exported: true });
    host.scope.vars.set('L', { kind: 'value', value: lit('2'), exported: false });
    run(host, ['/bin/bash', '-e', '-c', 'echo $1', 'zero', 'one']);
    const [ran] = host.scripts;
    expect(ran).toMatchObject({ script: 'echo $1', line: 7, here: false });
    expect([...ran!.scope!.vars.keys()]).toEqual(['E']);
    expect(ran!.scope!.positional).toEqual([lit('zero'), lit('one')]);
  });

  it('sh FILE runs a mounted file with $0 = FILE, and is unknown for any other', () => {
    const host = new RecordingHost();
    host.mounted.set('/scripts/run.sh', 'sysctl -p');
    run(host, ['sh', '/scripts/run.sh', 'a']);
    run(host, ['dash', '/scripts/other.sh']);
    expect(host.scripts.map((s) => [s.script, s.scope!.positional])).toEqual([
      ['sysctl -p', [lit('/scripts/run.sh'), lit('a')]],
    ]);
    expect(host.unknowns).toEqual(['line 7 runs /scripts/other.sh, a script file portguard cannot read']);
  });

  it('sh with no script runs its stdin; nothing when there is none', () => {
    const host = new RecordingHost();
    run(host, ['sh', '-s', 'x'], 'sysctl -w a.b=1\n');
    run(host, ['sh']);
    expect(host.scripts.map((s) => [s.script, s.scope!.positional])).toEqual([
      ['sysctl -w a.b=1\n', [lit('sh'), lit('x')]],
    ]);
  });

  it('a script that is not known makes the analysis unknown', () => {
    const host = new RecordingHost();
    run(host, ['sh', '-c', unknownValue('$S is not set')]);
    run(host, ['sh'], { value: unknownValue('x'), line: 1, perLine: false });
    expect(host.scripts).toEqual([]);
    expect(host.unknowns).toEqual([
      'sh -c at line 7 runs a script portguard cannot resolve',
      'a shell at line 7 runs input portguard cannot resolve',
    ]);
  });
});

describe('interpreters', () => {
  it('a program that names a sysctl makes the analysis unknown', () => {
    const host = new RecordingHost();
    run(host, ['python3.12', '-c', "open('/proc/sys/net/ipv4/ip_forward', 'w').write('1')"]);
    expect(host.unknowns).toEqual([
      'a python3.12 program at line 7 touches /proc/sys or a sysctl; portguard does not analyse python3.12 code',
    ]);
  });

  it('looks at the program on stdin too', () => {
    expect(builtinFor(callOf(['perl'], 'print "net.ipv4.ip_forward"'))).toBeDefined();
  });

  it('a program that names none is not the builtin (a function of that name may run)', () => {
    expect(builtinFor(callOf(['awk', '{print $1}']))).toBeUndefined();
  });
});

describe('xargs', () => {
  it('runs the command with the words of its input appended', () => {
    const host = new RecordingHost();
    const s = run(host, ['xargs', '-n', '1', 'sysctl', '-w'], 'a.b=1\n c.d=2 ');
    expect(host.commands).toEqual([['sysctl', '-w', 'a.b=1', 'c.d=2']]);
    expect(textOf(s!.value)).toBe('sysctl -w a.b=1 c.d=2');
  });

  it('-0, -d and -L split the input into lines, not words', () => {
    const host = new RecordingHost();
    run(host, ['xargs', '-0', '--', 'sysctl'], 'a.b=1 2\0c.d=3');
    expect(host.commands).toEqual([['sysctl', 'a.b=1 2', 'c.d=3']]);
  });

  it('-I {} runs once per line with {} replaced, and returns the last output', () => {
    const host = new RecordingHost();
    const s = run(host, ['xargs', '-I', '%', 'sh', '-c', 'echo 1 > /proc/sys/%'], 'a\nb\n');
    expect(host.commands).toEqual([
      ['sh', '-c', 'echo 1 > /proc/sys/a'],
      ['sh', '-c', 'echo 1 > /proc/sys/b'],
    ]);
    expect(textOf(s!.value)).toBe('sh -c echo 1 > /proc/sys/b');
    run(host, ['xargs', '-i', 'echo', '{}.x'], 'c');
    run(host, ['xargs', '-I@', 'echo', '@.y'], 'd');
    expect(host.commands.slice(2)).toEqual([
      ['echo', 'c.x'],
      ['echo', 'd.y'],
    ]);
  });

  it('with unknown input, still runs the command, with an unknown argument', () => {
    const host = new RecordingHost();
    run(host, ['xargs', 'sysctl', '-w']);
    run(host, ['xargs']);
    expect(host.commands).toEqual([
      ['sysctl', '-w', '*'],
      ['echo', '*'],
    ]);
  });
});

describe('the table holds every command the analysis models', () => {
  it.each([
    ['sh', '-c', 'true'],
    ['bash'],
    ['ash'],
    ['dash'],
    ['ksh'],
    ['mksh'],
    ['zsh'],
    ['eval'],
    ['trap'],
    ['.'],
    ['source'],
    ['sysctl'],
    ['echo'],
    ['printf'],
    ['cat'],
    ['tee'],
    ['cp', 'a', 'b'],
    ['dd'],
    ['cd'],
    ['exit'],
    ['return'],
    ['xargs'],
    ['/usr/bin/python3', '-c', 'open("/proc/sys/x")'],
  ])('%s', (...words) => {
    expect(builtinFor(callOf(words))).toBeDefined();
  });
});
