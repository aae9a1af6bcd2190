/**
 * The forms operators really write around a sysctl write (issue 10): wrappers, indirection,
 * redirections, loops and traps. Each positive form must give the same write as the plain
 * `sysctl -w` form; each negative one must give none (and no unknown).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { analyzer } from './helpers.js';

const R = 'net.ipv4.ip_local_port_range';
const W = `sysctl -w ${R}="1024 65535"`;
const PROC = '/proc/sys/net/ipv4/ip_local_port_range';
const WRITE = { key: R, value: '1024 65535' };

const POSITIVE: [string, string, Record<string, unknown>?][] = [
  ['plain', W],
  ['timeout', `timeout 5 ${W}`],
  ['timeout with options', `timeout -k 10 --signal=KILL 5s ${W}`],
  ['nice', `nice ${W}`],
  ['nice -n', `nice -n 5 ${W}`],
  ['ionice', `ionice -c 3 -n 7 ${W}`],
  ['env A=B', `env A=B ${W}`],
  ['env -u', `env -u X A=B ${W}`],
  ['command', `command ${W}`],
  ['exec', `exec ${W}`],
  ['exec -a', `exec -a tuner ${W}`],
  ['stdbuf', `stdbuf -oL ${W}`],
  ['stdbuf -o L', `stdbuf -o L ${W}`],
  ['busybox', `busybox ${W}`],
  ['chroot', `chroot /host ${W}`],
  ['chroot with options', `chroot --userspec=0:0 /host ${W}`],
  ['sudo -u', `sudo -u root ${W}`],
  ['setsid', `setsid ${W}`],
  ['wrappers stacked', `timeout 5 nice -n 1 chroot /host ${W}`],
  [
    'nsenter, long options',
    `nsenter --target 1 --mount --uts --ipc --net --pid -- ${W}`,
    { enteredNetns: 'target' },
  ],
  ['nsenter, short options', `nsenter -t 1 -m -u -i -n -p ${W}`, { enteredNetns: 'target' }],
  ['nsenter under timeout', `timeout 5 nsenter -t 1 -n ${W}`, { enteredNetns: 'target' }],
  ['eval of literal text', `eval '${W}'`],
  ['eval of several words', `eval sysctl -w ${R}='"1024 65535"'`],
  ['echo | sh', `echo '${W}' | sh`],
  ['bash -s <<EOF', `bash -s <<EOF\n${W}\nEOF`],
  ['sh <<EOF', `sh <<'EOF'\n${W}\nEOF`],
  ['sh -c nested three levels', `sh -c "sh -c 'sh -c \\"${W.replace(/"/g, '')}\\"'"`, { value: '1024' }],
  ['xargs fed literal input', `echo "${R}=1024" | xargs sysctl -w`, { value: '1024' }],
  ['xargs -I', `echo "1024 65535" | xargs -I{} sysctl -w ${R}="{}"`],
  ['functions called through levels', `a() { b; }\nb() { c; }\nc() { ${W}; }\na`],
  ['cd then a relative redirect', `cd /proc/sys/net/ipv4 && echo "1024 65535" > ip_local_port_range`],
  ['cd in two steps', `cd /proc/sys\ncd net/ipv4\necho "1024 65535" > ip_local_port_range`],
  ['dd of=', `echo "1024 65535" | dd of=${PROC}`],
  ['dd of= with options', `echo "1024 65535" | dd of=${PROC} conv=notrunc status=none`],
  ['exec 3> then >&3', `exec 3>${PROC}; echo "1024 65535" >&3`],
  ['exec > then echo', `exec >${PROC}\necho "1024 65535"`],
  ['printf | tee -a', `printf '1024 65535' | tee -a ${PROC}`],
  [
    'for over a literal list',
    `for kv in "net.core.somaxconn=4096" "${R}=1024 65535"; do sysctl -w "$kv"; done`,
  ],
  ['(( )) arithmetic before', `((x=1)); ${W}`],
  ['trap ... EXIT', `trap '${W}' EXIT`],
  ['trap on several signals', `trap "${W.replace(/"/g, "'")}" INT TERM EXIT`],
];

const NEGATIVE: [string, string][] = [
  ['timeout running echo', `timeout 5 echo ${W}`],
  ['eval of echo', `eval 'echo ${W}'`],
  ['trap reset', 'trap - EXIT'],
  ['cd elsewhere then a relative redirect', 'cd /tmp && echo "1024 65535" > ip_local_port_range'],
  ['dd to a regular file', `echo "1024 65535" | dd of=/tmp/range`],
  ['exec 3> a regular file', 'exec 3>/tmp/x; echo "1024 65535" >&3'],
  ['xargs running echo', `echo "${R}=1024" | xargs echo`],
  ['python that prints', "python3 -c 'print(1)'"],
  ['awk on a regular file', "awk '{print $1}' /etc/hosts"],
  ['a shell with nothing on stdin', 'sh -s'],
];

describe('forms of a sysctl write', () => {
  it.each(POSITIVE)('%s', async (_name, script, extra) => {
    const r = (await analyzer()).analyzeScript(script);
    expect(r.unknown).toBeUndefined();
    expect(r.writes.filter((w) => w.key === R)).toMatchObject([{ ...WRITE, ...extra }]);
  });

  it.each(NEGATIVE)('%s: no write and nothing unknown', async (_name, script) => {
    const r = (await analyzer()).analyzeScript(script);
    expect(r.unknown).toBeUndefined();
    expect(r.writes).toEqual([]);
  });
});

describe('every form is a script that dash and bash accept', () => {
  // Parsed, never run (-n): the forms write /proc/sys.
  it.each(
    [...POSITIVE, ...NEGATIVE].flatMap(([name, script]) => [
      ['dash', name, script],
      ['bash', name, script],
    ]),
  )('%s -n: %s', (shell, _name, script) => {
    const r = spawnSync(shell, ['-n', '-c', script], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('forms portguard cannot read are unknown, never clean', () => {
  it.each([
    ['python -c', `python -c 'open("${PROC}","w").write("1024 65535")'`, /python program at line 1/],
    [
      'python3 -c naming a key',
      `python3 -c 'import os; os.system("sysctl -w ${R}=1024")'`,
      /python3 program/,
    ],
    ['perl -e', `perl -e 'open(F,">${PROC}"); print F "1024 65535"'`, /perl program/],
    ['awk', `awk 'BEGIN{print "1024 65535" > "${PROC}"}'`, /awk program/],
    ['python reading a heredoc', `python3 <<EOF\nopen("${PROC}","w").write("1 2")\nEOF`, /python3 program/],
    ['a script file', 'sh /scripts/tune.sh', /runs \/scripts\/tune\.sh, a script file portguard cannot read/],
    ['bash with options and a file', 'bash -e /scripts/tune.sh arg', /runs \/scripts\/tune\.sh/],
    ['source', '. /scripts/env.sh', /sources \/scripts\/env\.sh/],
    ['eval of text it cannot resolve', 'eval "$CMD"', /eval at line 1 runs text portguard cannot resolve/],
    [
      'a relative write after cd to a directory it cannot resolve',
      'cd "$DIR" && echo "1024 65535" > ip_local_port_range',
      /writes ip_local_port_range relative to a directory portguard cannot resolve/,
    ],
    ['sh -c of a variable', 'sh -c "$CMD"', /sh -c at line 1 runs a script portguard cannot resolve/],
    // Names of Object.prototype's members are files like any other, not mounted scripts.
    [
      'a script file named constructor',
      'sh constructor',
      /runs constructor, a script file portguard cannot read/,
    ],
    ['a script file named __proto__', 'sh __proto__', /runs __proto__, a script file portguard cannot read/],
    ['sourcing toString', '. toString', /sources toString, a script file portguard cannot read/],
  ])('%s', async (_name, script, reason) => {
    const r = (await analyzer()).analyzeScript(script);
    expect(r.unknown).toMatch(reason);
  });

  it('a write before an unreadable part is kept', async () => {
    const r = (await analyzer()).analyzeScript(`${W}\nsh /scripts/more.sh`);
    expect(r.writes).toMatchObject([WRITE]);
    expect(r.unknown).toMatch(/more\.sh/);
  });

  it('xargs with input it cannot resolve is an unresolvable write, not a missing one', async () => {
    const r = (await analyzer()).analyzeScript('cat /etc/tune | xargs sysctl -w');
    expect(r.writes).toMatchObject([{ value: null }]);
  });
});

describe('exec-form containers', () => {
  it.each([
    [
      'a script file',
      ['sh', '/scripts/tune.sh'],
      /runs \/scripts\/tune\.sh, a script file portguard cannot read/,
    ],
    ['bash -e and a file', ['/bin/bash', '-e', '/opt/tune.sh', 'x'], /runs \/opt\/tune\.sh/],
    [
      'a script file named constructor',
      ['sh', 'constructor'],
      /runs constructor, a script file portguard cannot read/,
    ],
    ['a script file named hasOwnProperty', ['bash', 'hasOwnProperty'], /runs hasOwnProperty, a script file/],
  ])('%s is unknown', async (_n, command, reason) => {
    expect((await analyzer()).analyzeContainer(command, undefined).unknown).toMatch(reason);
  });

  it('a shell with nothing attached to stdin runs nothing', async () => {
    expect((await analyzer()).analyzeContainer(['sh', '-s'], undefined)).toEqual({ writes: [] });
  });

  it.each([
    ['timeout', ['timeout', '5', 'sysctl', '-w', 'net.ipv4.ip_local_port_range=1024 65535']],
    [
      'nsenter then sh -c',
      ['nsenter', '-t', '1', '-n', '--', 'sh', '-c', 'sysctl -w net.ipv4.ip_local_port_range="1024 65535"'],
    ],
  ])('%s finds the write', async (_n, command) => {
    const r = (await analyzer()).analyzeContainer(command, undefined);
    expect(r.writes).toMatchObject([{ key: 'net.ipv4.ip_local_port_range', value: '1024 65535' }]);
  });
});

describe('script files and sysctl files mounted from ConfigMaps', () => {
  const FILES = {
    '/scripts/tune.sh': `#!/bin/sh\n${W}\n`,
    '/scripts/env.sh': `RANGE="1024 65535"\n`,
    '/etc/sysctl.d/99-tune.conf': `${R} = 1024 65535\n`,
  };
  it.each([
    ['sh FILE', 'sh /scripts/tune.sh'],
    ['bash -e FILE args', 'bash -e /scripts/tune.sh x'],
    ['. FILE then a write using its variable', `. /scripts/env.sh\nsysctl -w ${R}="$RANGE"`],
    ['sysctl -p FILE', 'sysctl -p /etc/sysctl.d/99-tune.conf'],
    ['sysctl --system', 'sysctl --system'],
  ])('%s is read and judged', async (_n, script) => {
    const r = (await analyzer()).analyzeScript(script, undefined, FILES);
    expect(r.unknown).toBeUndefined();
    expect(r.writes.filter((w) => w.key === R)).toMatchObject([WRITE]);
  });

  it('exec form [sh, FILE] runs the mounted script', async () => {
    const r = (await analyzer()).analyzeContainer(['sh', '/scripts/tune.sh'], undefined, undefined, FILES);
    expect(r.writes).toMatchObject([WRITE]);
  });

  it('a file that is not mounted stays unknown', async () => {
    const r = (await analyzer()).analyzeScript('sh /scripts/other.sh', undefined, FILES);
    expect(r.unknown).toMatch(/other\.sh/);
  });

  // With files at hand, a lookup of `constructor` on a plain object found Object's own
  // function and ran it as a mounted script: clean instead of unknown.
  it.each([
    ['sh constructor', ['sh', 'constructor']],
    ['bash toString', ['bash', 'toString']],
    ['sh __proto__', ['sh', '__proto__']],
  ])('exec form %s is a file that is not mounted: unknown', async (_n, command) => {
    const r = (await analyzer()).analyzeContainer(command, undefined, undefined, FILES);
    expect(r.unknown).toMatch(/a script file portguard cannot read/);
  });

  it.each(['sh constructor', '. valueOf', 'bash hasOwnProperty'])(
    '%s with files at hand is a file that is not mounted: unknown',
    async (script) => {
      const r = (await analyzer()).analyzeScript(script, undefined, FILES);
      expect(r.unknown).toMatch(/a script file portguard cannot read/);
    },
  );
});
