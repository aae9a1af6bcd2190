import { describe, expect, it } from 'vitest';
import type { ScriptEnv, SysctlWrite } from '../../src/shell/index.js';
import { analyzer, PORT_RANGE } from './helpers.js';

/** Key=value pairs of the writes, the shape most tables compare. */
async function pairs(script: string, env?: ScriptEnv): Promise<[string, string | null][]> {
  const r = (await analyzer()).analyzeScript(script, env);
  expect(r.unknown).toBeUndefined();
  return r.writes.map((w) => [w.key, w.value]);
}

async function writes(script: string, env?: ScriptEnv): Promise<SysctlWrite[]> {
  return (await analyzer()).analyzeScript(script, env).writes;
}

describe('sysctl command forms', () => {
  it.each<[string, [string, string | null][]]>([
    ['sysctl -w net.core.somaxconn=65535', [['net.core.somaxconn', '65535']]],
    ['sysctl net.core.somaxconn=65535', [['net.core.somaxconn', '65535']]],
    [
      'sysctl -w a.b=1 c.d=2',
      [
        ['a.b', '1'],
        ['c.d', '2'],
      ],
    ],
    ['sysctl -q -w a.b=1', [['a.b', '1']]],
    ['sysctl -e -w a.b=1', [['a.b', '1']]],
    ['sysctl -qw a.b=1', [['a.b', '1']]],
    ['sysctl --write a.b=1', [['a.b', '1']]],
    [`sysctl -w ${PORT_RANGE}="1024 65535"`, [[PORT_RANGE, '1024 65535']]],
    [`sysctl -w ${PORT_RANGE}='1024 65535'`, [[PORT_RANGE, '1024 65535']]],
    [`sysctl -w "${PORT_RANGE}=1024 65535"`, [[PORT_RANGE, '1024 65535']]],
    [`sysctl -w ${PORT_RANGE}=1024\\ 65535`, [[PORT_RANGE, '1024 65535']]],
    [`sysctl -w ${PORT_RANGE}=$'1024\\t65535'`, [[PORT_RANGE, '1024\t65535']]],
    ['sysctl -w net/ipv4/ip_local_port_range="1024 65535"', [[PORT_RANGE, '1024 65535']]],
    ['/sbin/sysctl -w a.b=1', [['a.b', '1']]],
    ['busybox sysctl -w a.b=1', [['a.b', '1']]],
    ['env FOO=1 sysctl -w a.b=1', [['a.b', '1']]],
    ['exec sysctl -w a.b=1', [['a.b', '1']]],
    ['sysctl -w a.b=', [['a.b', '']]],
    ['sysctl -n net.core.somaxconn', []],
    ['sysctl net.core.somaxconn', []],
    ['sysctl -a', []],
    ['sysctl -w net.core.somaxconn', []],
    ['sysctl -w "foo bar=1"', []],
  ])('%s', async (script, expected) => {
    expect(await pairs(script)).toEqual(expected);
  });

  it('reports via sysctl, line numbers and no guard', async () => {
    expect(await writes('echo start\n\nsysctl -w a.b=1')).toEqual([
      { key: 'a.b', value: '1', via: 'sysctl', onlyInOwnNetns: false, line: 3 },
    ]);
  });
});

describe('/proc/sys writes', () => {
  it.each<[string, [string, string | null][]]>([
    ['echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range', [[PORT_RANGE, '1024 65535']]],
    ['echo 1024 65535 > /proc/sys/net/ipv4/ip_local_port_range', [[PORT_RANGE, '1024 65535']]],
    ['echo -n 1 >/proc/sys/net/ipv4/tcp_tw_recycle', [['net.ipv4.tcp_tw_recycle', '1']]],
    ['echo 1 >> /proc/sys/net/ipv4/tcp_tw_recycle', [['net.ipv4.tcp_tw_recycle', '1']]],
    ['echo 1 2>/dev/null >/proc/sys/a/b', [['a.b', '1']]],
    ["printf '%s' '1024 65535' > /proc/sys/net/ipv4/ip_local_port_range", [[PORT_RANGE, '1024 65535']]],
    ["printf '%s %s\\n' 1024 65535 > /proc/sys/net/ipv4/ip_local_port_range", [[PORT_RANGE, '1024 65535']]],
    ["printf '1024 65535' > /proc/sys/net/ipv4/ip_local_port_range", [[PORT_RANGE, '1024 65535']]],
    ["printf '%5s' 1 > /proc/sys/a/b", [['a.b', null]]],
    ['echo "1024 65535" | tee /proc/sys/net/ipv4/ip_local_port_range', [[PORT_RANGE, '1024 65535']]],
    ['echo 1 | tee -a /proc/sys/a/b > /dev/null', [['a.b', '1']]],
    [
      'echo 1 | tee /proc/sys/a/b /proc/sys/c/d',
      [
        ['a.b', '1'],
        ['c.d', '1'],
      ],
    ],
    ['cat <<EOF > /proc/sys/a/b\n1024 65535\nEOF', [['a.b', '1024 65535']]],
    ['cat <<< "1" > /proc/sys/a/b', [['a.b', '1']]],
    ['cat /etc/range > /proc/sys/a/b', [['a.b', null]]],
    ['some-tool | tee /proc/sys/a/b', [['a.b', null]]],
    ['{ echo 1; } > /proc/sys/a/b', [['a.b', null]]],
    ['echo 1 > /proc/sys/net/ipv4/conf/eth0.100/rp_filter', [['net.ipv4.conf.eth0/100.rp_filter', '1']]],
    ['echo 1 > /tmp/proc/sys/a', []],
    ['cat /proc/sys/net/ipv4/ip_local_port_range', []],
  ])('%s', async (script, expected) => {
    expect(await pairs(script)).toEqual(expected);
  });

  it('marks /proc writes as via proc', async () => {
    const [w] = await writes('echo 1 > /proc/sys/a/b');
    expect(w?.via).toBe('proc');
  });

  it('keeps a write to a partly unknown /proc path, with a wildcard key', async () => {
    const [w] = await writes('echo 1 > /proc/sys/net/ipv4/$(k)');
    expect(w).toMatchObject({ key: 'net.ipv4.*', value: null, via: 'proc' });
    expect(w?.reason).toMatch(/path not resolvable/);
  });
});

describe('sysctl.d and sysctl.conf', () => {
  it.each<[string, [string, string | null][]]>([
    [
      'cat <<EOF > /etc/sysctl.d/99-ports.conf\n# widen\nnet.ipv4.ip_local_port_range = 1024 65535\n; old\n-net.core.somaxconn=1024\nEOF\nsysctl -p /etc/sysctl.d/99-ports.conf',
      [
        [PORT_RANGE, '1024 65535'],
        ['net.core.somaxconn', '1024'],
      ],
    ],
    ['cat > /etc/sysctl.d/a.conf <<EOF\na.b = 1\nEOF\nsysctl --system', [['a.b', '1']]],
    ["cat <<'EOF' > /etc/sysctl.conf\na.b = $X\nEOF\nsysctl -p", [['a.b', '$X']]],
    ['X=5\ncat <<EOF > /etc/sysctl.conf\na.b = $X\nEOF\nsysctl -p', [['a.b', '5']]],
    ['cat <<-EOF > /etc/sysctl.conf\n\ta.b = 1\n\tEOF\nsysctl -p', [['a.b', '1']]],
    [
      'echo "a.b=1" > /etc/sysctl.d/x.conf\necho "c.d = 2" >> /etc/sysctl.d/x.conf\nsysctl -p /etc/sysctl.d/x.conf',
      [
        ['a.b', '1'],
        ['c.d', '2'],
      ],
    ],
    [
      'echo "a.b=1" > /etc/sysctl.d/x.conf\necho "c.d = 2" > /etc/sysctl.d/x.conf\nsysctl --system',
      [['c.d', '2']],
    ],
    [
      "printf 'a.b=1\\nc.d=2\\n' > /etc/sysctl.conf && sysctl -p",
      [
        ['a.b', '1'],
        ['c.d', '2'],
      ],
    ],
    ['echo "a.b=1" | tee /etc/sysctl.d/x.conf\nsysctl -p /etc/sysctl.d/*.conf', [['a.b', '1']]],
    ['cat <<EOF | tee /etc/sysctl.d/x.conf\na.b=1\nEOF\nsysctl --system', [['a.b', '1']]],
    ['cat <<EOF > /etc/sysctl.d/x.conf && sysctl -p /etc/sysctl.d/x.conf\na.b=1\nEOF', [['a.b', '1']]],
    ['echo "a.b=1" > /tmp/x.conf\ncp /tmp/x.conf /etc/sysctl.d/x.conf\nsysctl --system', []],
    // Written but never applied: nothing happens at runtime.
    ['cat <<EOF > /etc/sysctl.d/99.conf\na.b = 1\nEOF', []],
    ['echo "a.b=1" >> /etc/sysctl.conf', []],
    // Applied before being written: the later content is not loaded.
    ['sysctl --system\necho "a.b=1" > /etc/sysctl.d/x.conf', []],
    ['echo "a.b=1" > /etc/sysctl.d/x.conf\nsysctl -p /etc/sysctl.d/y.conf', [['*', null]]],
  ])('%s', async (script, expected) => {
    expect(await pairs(script)).toEqual(expected);
  });

  it('reports the content line and via sysctl.d', async () => {
    const w = await writes('cat <<EOF > /etc/sysctl.d/a.conf\n# c\na.b = 1\nEOF\nsysctl --system');
    expect(w).toEqual([{ key: 'a.b', value: '1', via: 'sysctl.d', onlyInOwnNetns: false, line: 3 }]);
  });

  it('applies a file loaded from a ConfigMap as an unknown write', async () => {
    const [w] = await writes('sysctl -p /config/sysctl.conf');
    expect(w).toMatchObject({ key: '*', value: null, via: 'sysctl.d' });
    expect(w?.reason).toContain('/config/sysctl.conf');
  });
});

describe('control flow', () => {
  it.each<[string, [string, string | null][]]>([
    ['true && sysctl -w a.b=1', [['a.b', '1']]],
    ['false || sysctl -w a.b=1', [['a.b', '1']]],
    ['mount -o remount rw /proc/sys; sysctl -w a.b=1', [['a.b', '1']]],
    ['echo x | sysctl -w a.b=1 | cat', [['a.b', '1']]],
    [
      'if true; then sysctl -w a.b=1; elif x; then sysctl -w c.d=2; else sysctl -w e.f=3; fi',
      [
        ['a.b', '1'],
        ['c.d', '2'],
        ['e.f', '3'],
      ],
    ],
    ['(cd /; sysctl -w a.b=1)', [['a.b', '1']]],
    ['{ sysctl -w a.b=1; }', [['a.b', '1']]],
    ['tune() {\n  sysctl -w a.b=1\n}\ntune', [['a.b', '1']]],
    ['function tune { sysctl -w "$1=$2"; }\ntune c.d "1 2"', [['c.d', '1 2']]],
    [
      'for i in 1 2; do sysctl -w a.b=$i; done',
      [
        ['a.b', '1'],
        ['a.b', '2'],
      ],
    ],
    [
      'for k in a.b c.d; do sysctl -w "$k=1"; done',
      [
        ['a.b', '1'],
        ['c.d', '1'],
      ],
    ],
    ['while true; do sysctl -w a.b=1; sleep 60; done', [['a.b', '1']]],
    ['until false; do sysctl -w a.b=1; done', [['a.b', '1']]],
    [
      'case "$MODE" in\n  fast) sysctl -w a.b=1 ;;\n  *) sysctl -w a.b=2 ;;\nesac',
      [
        ['a.b', '1'],
        ['a.b', '2'],
      ],
    ],
    ['X=$(sysctl -w a.b=1)', [['a.b', '1']]],
    ['sh -c "sysctl -w a.b=1"', [['a.b', '1']]],
    ["nsenter -t 1 -n -- sh -c 'sysctl -w a.b=1'", [['a.b', '1']]],
    ['nsenter --target 1 --net sysctl -w a.b=1', [['a.b', '1']]],
    ["echo 'sysctl -w a.b=1' | sh", [['a.b', '1']]],
    ['exit 0\nsysctl -w a.b=1', []],
    ['set -e\nsysctl -w a.b=1\nexit 0', [['a.b', '1']]],
    // Functions that are never called do not run.
    ['tune() { sysctl -w a.b=1; }', []],
  ])('%s', async (script, expected) => {
    expect(await pairs(script)).toEqual(expected);
  });

  it('reports the line of the sysctl inside a multi-line script', async () => {
    const w = await writes('#!/bin/sh\nset -eu\nif true; then\n  sysctl -w a.b=1\nfi\n');
    expect(w.map((x) => x.line)).toEqual([4]);
  });
});

describe('variables', () => {
  it.each<[string, ScriptEnv | undefined, [string, string | null][]]>([
    [`R="1024 65535"; sysctl -w ${PORT_RANGE}="$R"`, undefined, [[PORT_RANGE, '1024 65535']]],
    [`R="1024 65535"; sysctl -w ${PORT_RANGE}="\${R}"`, undefined, [[PORT_RANGE, '1024 65535']]],
    [`export R='1024 65535'\nsysctl -w ${PORT_RANGE}="$R"`, undefined, [[PORT_RANGE, '1024 65535']]],
    [`LO=1024 HI=65535\nsysctl -w ${PORT_RANGE}="$LO $HI"`, undefined, [[PORT_RANGE, '1024 65535']]],
    [`LO=1024; HI=65535; sysctl -w "${PORT_RANGE}=$LO $HI"`, undefined, [[PORT_RANGE, '1024 65535']]],
    [`sysctl -w ${PORT_RANGE}="$RANGE"`, { RANGE: { value: '1024 65535' } }, [[PORT_RANGE, '1024 65535']]],
    ['K=net.ipv4.tcp_tw_recycle; V=1; sysctl -w "$K=$V"', undefined, [['net.ipv4.tcp_tw_recycle', '1']]],
    ['P=/proc/sys/net/ipv4; echo 1 > $P/tcp_tw_recycle', undefined, [['net.ipv4.tcp_tw_recycle', '1']]],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    ['sysctl -w a.b="${V:-7}"', undefined, [['a.b', '7']]],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    ['V=3; sysctl -w a.b="${V:-7}"', undefined, [['a.b', '3']]],
    ['A=1; A+=2; sysctl -w a.b=$A', undefined, [['a.b', '12']]],
    ['V=1; (V=2); sysctl -w a.b=$V', undefined, [['a.b', '1']]],
    ['V=1 true; sysctl -w a.b=$V', undefined, [['a.b', null]]],
    ['printf -v V "%s" 9; sysctl -w a.b=$V', undefined, [['a.b', '9']]],
    // Unquoted expansions are split into separate arguments, as the shell does.
    [`R="1024 65535"; sysctl -w ${PORT_RANGE}=$R`, undefined, [[PORT_RANGE, '1024']]],
  ])('%s', async (script, env, expected) => {
    expect(await pairs(script, env)).toEqual(expected);
  });

  it.each<[string, ScriptEnv | undefined, RegExp]>([
    ['sysctl -w a.b=$(cat /etc/range)', undefined, /command substitution/],
    ['sysctl -w a.b=`cat /etc/range`', undefined, /command substitution/],
    ['sysctl -w a.b=$UNSET', undefined, /\$UNSET is not set/],
    ['sysctl -w a.b=$((1+2))', undefined, /arithmetic/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    ['sysctl -w a.b="${V#x}"', { V: { value: 'x1' } }, /parameter expansion/],
    ['sysctl -w a.b=$1', undefined, /script argument/],
    ['sysctl -w a.b=$POD_IP', { POD_IP: { fieldRef: 'status.podIP' } }, /fieldRef status.podIP/],
    ['sysctl -w a.b=$S', { S: {} }, /secret/],
    ['if x; then V=1; else V=2; fi; sysctl -w a.b=$V', undefined, /depends on which branch/],
    ['x && V=1; sysctl -w a.b=$V', undefined, /depends on which branch/],
    ["printf '%x' 1 > /proc/sys/a/b", undefined, /printf format/],
  ])('%s → null value with a reason', async (script, env, reason) => {
    const w = await writes(script, env);
    expect(w).toHaveLength(1);
    expect(w[0]?.value).toBeNull();
    expect(w[0]?.reason).toMatch(reason);
  });

  it('keeps a write with an unresolvable key, as a wildcard', async () => {
    const w = await writes('sysctl -w "$SETTING"');
    expect(w).toEqual([
      expect.objectContaining({ key: '*', value: null, reason: expect.stringMatching(/key not resolvable/) }),
    ]);
    const [partial] = await writes('sysctl -w net.ipv4.$(k)=1');
    expect(partial).toMatchObject({ key: 'net.ipv4.*', value: null });
  });
});

describe('things that are not writes', () => {
  it.each([
    'echo "run sysctl -w net.ipv4.ip_forward=0 later"',
    "echo 'sysctl -w net.ipv4.ip_forward=0'",
    '# sysctl -w net.ipv4.ip_forward=0',
    'true # sysctl -w net.ipv4.ip_forward=0',
    'cat <<EOF\nsysctl -w net.ipv4.ip_forward=0\nEOF',
    'X="sysctl -w net.ipv4.ip_forward=0"',
    'grep sysctl /etc/profile',
    'man sysctl',
    'sysctl -n net.ipv4.ip_local_port_range',
    'echo /proc/sys/net/ipv4/ip_forward',
    "echo '1 > /proc/sys/net/ipv4/ip_forward'",
  ])('%s', async (script) => {
    expect(await pairs(script)).toEqual([]);
  });
});

describe('nsenter into another network namespace', () => {
  it.each([
    ['sysctl -w a.b=1', undefined],
    ["nsenter -t 1 -n -- sh -c 'sysctl -w a.b=1'", 'target'],
    ['nsenter --target 1 --net sysctl -w a.b=1', 'target'],
    ['nsenter -a -t 1 sysctl -w a.b=1', 'target'],
    ['nsenter -mnt1 sysctl -w a.b=1', 'target'],
    ['nsenter --net=/host/proc/1/ns/net sysctl -w a.b=1', 'file'],
    ['nsenter -n --net=/proc/1/ns/net sysctl -w a.b=1', 'file'],
    // Mount namespace only: the network namespace stays the container's.
    ['nsenter -t 1 -m sysctl -w a.b=1', undefined],
    // The switch ends with the nsenter command: later writes are back in the pod's namespace.
    ['nsenter -t 1 -n true\nsysctl -w a.b=1', undefined],
    ['printf "a.b = 1\\n" > /etc/sysctl.d/9.conf\nnsenter -t 1 -n sysctl -p /etc/sysctl.d/9.conf', 'target'],
  ])('%s -> %s', async (script, entered) => {
    const w = await writes(script);
    expect(w.map((x) => x.key)).toEqual(['a.b']);
    expect(w[0]!.enteredNetns).toBe(entered);
  });
});
