import { render, type Value } from './value.js';

/**
 * One-liners in other languages (`python -c`, `perl -e`, `awk '...'`) are not analysed; when
 * their text names `/proc/sys` or a sysctl key they may change one, so the script is unknown
 * there rather than clean.
 */

const INTERPRETER =
  /^(?:python|pypy|perl|ruby|node|nodejs|deno|bun|php|lua|luajit|tclsh|awk|gawk|mawk|nawk)[0-9.]*$/;

/** `net.ipv4.ip_local_port_range`, `kernel.pid_max`, `net/ipv4/tcp_tw_recycle`: a dotted or slashed sysctl name. */
const SYSCTL_NAME = /\b(?:net|kernel|vm|fs|user|dev|abi|debug|crypto)[./][a-z0-9_-]+[./][a-z0-9_./-]+/i;

export function isInterpreter(base: string): boolean {
  return INTERPRETER.test(base);
}

/** Whether an interpreter runs program text (in its arguments or its stdin) that names a sysctl. */
export function interpreterTouchesSysctl(base: string, args: Value[], stdin: Value | undefined): boolean {
  if (!isInterpreter(base)) return false;
  const texts = args.map(render);
  if (stdin) texts.push(render(stdin));
  return texts.some((t) => t.includes('/proc/sys') || SYSCTL_NAME.test(t) || t.includes('sysctl'));
}
