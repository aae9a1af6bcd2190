import { describe, expect, it } from 'vitest';
import {
  isProcSysPath,
  isValidSysctlName,
  normalizeSysctlName,
  sysctlNameFromProcPath,
} from '../../src/shell/sysctl-name.js';

// One function for pod-spec names (src/core) and script writes (src/shell); the two copies
// it replaced differed on surrounding whitespace, so the table covers both callers' inputs.
describe('normalizeSysctlName', () => {
  it.each([
    // dotted: unchanged, '/' inside a component stays
    ['net.ipv4.ip_local_port_range', 'net.ipv4.ip_local_port_range'],
    ['net.ipv4.conf.eth0/100.rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
    ['net.ipv4.conf.all.forwarding', 'net.ipv4.conf.all.forwarding'],
    ['net.ipv4.*', 'net.ipv4.*'],
    // slash-separated: '/' and '.' swap
    ['net/ipv4/ip_local_port_range', 'net.ipv4.ip_local_port_range'],
    ['net/ipv4/conf/eth0.100/rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
    ['kernel/shm_rmid_forced', 'kernel.shm_rmid_forced'],
    ['net/ipv4/*', 'net.ipv4.*'],
    // one component, or nothing
    ['kernel', 'kernel'],
    ['', ''],
    // surrounding whitespace goes before the first separator is looked for
    [' kernel.pid_max ', 'kernel.pid_max'],
    ['\tnet/ipv4/ip_local_port_range\n', 'net.ipv4.ip_local_port_range'],
    ['  net/ipv4/conf/eth0.100/rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeSysctlName(input)).toBe(expected);
  });
});

describe('sysctlNameFromProcPath', () => {
  it.each([
    ['/proc/sys/net/ipv4/ip_local_port_range', 'net.ipv4.ip_local_port_range'],
    ['/proc/sys//net/ipv4/./tcp_tw_recycle', 'net.ipv4.tcp_tw_recycle'],
    ['/proc/sys/net/ipv4/conf/eth0.100/rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
    ['/proc/sys/', null],
    ['/proc/sys/../net', null],
    ['/proc/net/ipv4', null],
    ['/tmp/proc/sys/net', null],
  ])('%s → %s', (path, expected) => {
    expect(sysctlNameFromProcPath(path)).toBe(expected);
  });

  it('isProcSysPath accepts doubled slashes', () => {
    expect(isProcSysPath('//proc//sys/net/x')).toBe(true);
    expect(isProcSysPath('/proc/system')).toBe(false);
  });
});

describe('isValidSysctlName', () => {
  it.each([
    ['net.ipv4.ip_local_port_range', true],
    ['net.ipv4.*', true],
    ['net.ipv4.conf.eth0/100.rp_filter', true],
    ['foo bar', false],
    ['', false],
    ['.net', false],
  ])('%s → %s', (name, ok) => {
    expect(isValidSysctlName(name)).toBe(ok);
  });
});
