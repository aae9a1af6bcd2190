import { describe, expect, it } from 'vitest';
import {
  isProcSysPath,
  isValidSysctlName,
  normalizeSysctlName,
  sysctlNameFromProcPath,
} from '../../src/shell/sysctl-name.js';

describe('normalizeSysctlName', () => {
  it.each([
    ['net.ipv4.ip_local_port_range', 'net.ipv4.ip_local_port_range'],
    ['net/ipv4/ip_local_port_range', 'net.ipv4.ip_local_port_range'],
    ['net/ipv4/conf/eth0.100/rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
    ['net.ipv4.conf.eth0/100.rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
    [' kernel.pid_max ', 'kernel.pid_max'],
  ])('%s → %s', (input, expected) => {
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
