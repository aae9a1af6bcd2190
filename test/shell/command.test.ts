import { describe, expect, it } from 'vitest';
import { expandKubeVars, shellScriptIndex, stripWrappers } from '../../src/shell/command.js';

const id = (s: string) => s;

describe('shellScriptIndex', () => {
  it.each([
    [['sh', '-c', 'x'], 2],
    [['/bin/sh', '-c', 'x', 'arg0'], 2],
    [['bash', '-ec', 'x'], 2],
    [['bash', '-e', '-c', 'x'], 3],
    [['bash', '-c', '-e', 'x'], 3],
    [['bash', '-o', 'pipefail', '-c', 'x'], 4],
    [['/usr/bin/bash', '--norc', '-xc', 'x'], 3],
    [['sh', 'script.sh'], -1],
    [['sh'], -1],
    [['sh', '-c'], -1],
    [['sysctl', '-w', 'a=1'], null],
    [['shell', '-c', 'x'], null],
  ])('%j → %s', (argv, expected) => {
    expect(shellScriptIndex(argv, id)).toBe(expected);
  });
});

describe('stripWrappers', () => {
  it.each([
    [
      ['env', 'A=1', 'sysctl', '-w', 'a=1'],
      ['sysctl', '-w', 'a=1'],
    ],
    [
      ['/bin/busybox', 'sysctl', 'a=1'],
      ['sysctl', 'a=1'],
    ],
    [
      ['exec', 'env', '-i', 'sh', '-c', 'x'],
      ['sh', '-c', 'x'],
    ],
    [
      ['sysctl', 'a=1'],
      ['sysctl', 'a=1'],
    ],
  ])('%j → %j', (argv, expected) => {
    expect(stripWrappers(argv, id)).toEqual(expected);
  });
});

describe('expandKubeVars', () => {
  const env = { RANGE: { value: '1024 65535' }, POD_IP: { fieldRef: 'status.podIP' } };
  it.each([
    ['net.ipv4.ip_local_port_range=$(RANGE)', 'net.ipv4.ip_local_port_range=1024 65535'],
    ['$$(RANGE)', '$(RANGE)'],
    ['$(POD_IP)', '$(POD_IP)'],
    ['$(MISSING)', '$(MISSING)'],
    ['$(date +%s)', '$(date +%s)'],
    ['cost $5', 'cost $5'],
  ])('%s → %s', (input, expected) => {
    expect(expandKubeVars(input, env)).toBe(expected);
  });
});
