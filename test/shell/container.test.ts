import { describe, expect, it } from 'vitest';
import type { ScriptEnv } from '../../src/shell/index.js';
import { analyzer, GUARD_ENV, PORT_RANGE } from './helpers.js';

const SCRIPT = `sysctl -w ${PORT_RANGE}="1024 65535"`;

describe('analyzeContainer (exec form)', () => {
  it.each<[string, string[] | undefined, string[] | undefined, [string, string | null][]]>([
    [
      'plain sysctl',
      ['sysctl', '-w', 'net.ipv4.tcp_tw_recycle=1'],
      undefined,
      [['net.ipv4.tcp_tw_recycle', '1']],
    ],
    [
      'sysctl value with space',
      ['sysctl', '-w', `${PORT_RANGE}=1024 65535`],
      undefined,
      [[PORT_RANGE, '1024 65535']],
    ],
    [
      'sysctl in args',
      ['/sbin/sysctl'],
      ['-w', 'a.b=1', 'c.d=2'],
      [
        ['a.b', '1'],
        ['c.d', '2'],
      ],
    ],
    ['no command, args only', undefined, ['sysctl', '-w', 'a.b=1'], [['a.b', '1']]],
    ['sh -c in command', ['/bin/sh', '-c', SCRIPT], undefined, [[PORT_RANGE, '1024 65535']]],
    ['sh in command, -c in args', ['sh'], ['-c', SCRIPT], [[PORT_RANGE, '1024 65535']]],
    ['sh -c in command, script in args', ['sh', '-c'], [SCRIPT], [[PORT_RANGE, '1024 65535']]],
    ['bash -ec', ['bash', '-ec', SCRIPT], undefined, [[PORT_RANGE, '1024 65535']]],
    ['bash -e -c', ['bash', '-e', '-c', SCRIPT], undefined, [[PORT_RANGE, '1024 65535']]],
    [
      '/bin/bash -o pipefail -c',
      ['/bin/bash', '-o', 'pipefail', '-c', SCRIPT],
      undefined,
      [[PORT_RANGE, '1024 65535']],
    ],
    ['everything in args', undefined, ['sh', '-c', SCRIPT], [[PORT_RANGE, '1024 65535']]],
    ['busybox sh', ['busybox', 'sh', '-c', SCRIPT], undefined, [[PORT_RANGE, '1024 65535']]],
    ['env wrapper', ['/usr/bin/env', 'bash', '-c', SCRIPT], undefined, [[PORT_RANGE, '1024 65535']]],
    ['positional args', ['sh', '-c', 'sysctl -w "$1=$2"', 'sh', 'a.b', '1 2'], undefined, [['a.b', '1 2']]],
    ['not a shell', ['nginx', '-g', 'daemon off;'], undefined, []],
    ['echo is not run by a shell', ['echo', 'sysctl', '-w', 'a.b=1'], undefined, []],
    ['no command at all', undefined, undefined, []],
    // A shell metacharacter in exec form is just an argument.
    ['exec form has no redirects', ['echo', '1', '>', '/proc/sys/a/b'], undefined, []],
  ])('%s', async (_name, command, args, expected) => {
    const r = (await analyzer()).analyzeContainer(command, args);
    expect(r.unknown).toBeUndefined();
    expect(r.writes.map((w) => [w.key, w.value])).toEqual(expected);
  });

  it('uses line 1 for exec form and script lines for sh -c', async () => {
    const a = await analyzer();
    expect(a.analyzeContainer(['sysctl', '-w', 'a.b=1'], undefined).writes[0]?.line).toBe(1);
    expect(a.analyzeContainer(['sh', '-c', 'set -e\n\nsysctl -w a.b=1'], undefined).writes[0]?.line).toBe(3);
  });

  it('applies Kubernetes $(VAR) substitution before running', async () => {
    const env: ScriptEnv = { RANGE: { value: '1024 65535' } };
    const a = await analyzer();
    expect(
      a.analyzeContainer(['sysctl', '-w', `${PORT_RANGE}=$(RANGE)`], undefined, env).writes,
    ).toMatchObject([{ key: PORT_RANGE, value: '1024 65535' }]);
    expect(
      a.analyzeContainer(['sh', '-c', `sysctl -w ${PORT_RANGE}="$(RANGE)"`], undefined, env).writes,
    ).toMatchObject([{ key: PORT_RANGE, value: '1024 65535' }]);
  });

  it('passes env to the script, including the guard', async () => {
    const script = `if [ "$POD_IP" != "$HOST_IP" ]; then ${SCRIPT}; fi`;
    const a = await analyzer();
    expect(a.analyzeContainer(['sh', '-c', script], undefined, GUARD_ENV).writes[0]?.onlyInOwnNetns).toBe(
      true,
    );
    expect(a.analyzeContainer(['sh', '-c', script], undefined, {}).writes[0]?.onlyInOwnNetns).toBe(false);
  });
});

describe('cache', () => {
  it('returns the cached (frozen) analysis for the same script and env', async () => {
    const { createScriptAnalyzer } = await import('../../src/shell/index.js');
    const a = await createScriptAnalyzer({ cacheSize: 10 });
    const first = a.analyzeScript(SCRIPT);
    expect(a.analyzeScript(SCRIPT)).toBe(first);
    expect(Object.isFrozen(first.writes[0])).toBe(true);
    // A different env is a different analysis: the guard depends on it.
    const guardScript = `if [ "$POD_IP" != "$HOST_IP" ]; then ${SCRIPT}; fi`;
    expect(a.analyzeScript(guardScript, GUARD_ENV).writes[0]?.onlyInOwnNetns).toBe(true);
    expect(a.analyzeScript(guardScript, {}).writes[0]?.onlyInOwnNetns).toBe(false);
    expect(a.analyzeContainer(['sh', '-c', SCRIPT], undefined)).toBe(
      a.analyzeContainer(['sh', '-c', SCRIPT], undefined),
    );
  });
});
