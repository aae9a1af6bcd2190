/**
 * Sysctl name normalisation, matching what Kubernetes and procps accept, so that rules compare
 * `net/ipv4/ip_local_port_range`, `/proc/sys/net/ipv4/ip_local_port_range` and the dotted form
 * as the same setting.
 */

const PROC_SYS = '/proc/sys/';

// Segments may hold interface names (eth0.100 becomes eth0/100 in dotted form) and `*` for
// parts of a name that could not be resolved.
const NAME = /^[A-Za-z0-9_*][A-Za-z0-9_*:@+\-/]*(\.[A-Za-z0-9_*:@+\-/]+)*$/;

/**
 * Dotted form of a sysctl name. As in Kubernetes' NormalizeName, the first separator decides:
 * if it is '/', slashes separate components and any '.' belongs to a component (becoming '/'):
 * net/ipv4/conf/eth0.100/x → net.ipv4.conf.eth0/100.x. Surrounding whitespace is dropped, as
 * procps does for the keys of sysctl.conf lines; in a pod spec such a name is invalid, and
 * trimmed it still names the setting the author meant.
 */
export function normalizeSysctlName(name: string): string {
  const n = name.trim();
  const slash = n.indexOf('/');
  const dot = n.indexOf('.');
  if (slash === -1 || (dot !== -1 && dot < slash)) return n;
  let out = '';
  for (const ch of n) out += ch === '/' ? '.' : ch === '.' ? '/' : ch;
  return out;
}

/** True when `path` names something under /proc/sys (a write there is a sysctl write). */
export function isProcSysPath(path: string): boolean {
  return collapse(path).startsWith(PROC_SYS);
}

/** `/proc/sys/net/ipv4/x` → `net.ipv4.x`; null when the path is not a sysctl file. */
export function sysctlNameFromProcPath(path: string): string | null {
  const p = collapse(path);
  if (!p.startsWith(PROC_SYS)) return null;
  const parts = p
    .slice(PROC_SYS.length)
    .split('/')
    .filter((c) => c !== '' && c !== '.');
  if (parts.length === 0 || parts.includes('..')) return null;
  return parts.map((c) => c.replaceAll('.', '/')).join('.');
}

/** Rejects strings that cannot be sysctl names (so `sysctl "foo bar=1"` is not reported). */
export function isValidSysctlName(name: string): boolean {
  return name.length > 0 && name.length <= 256 && NAME.test(name);
}

function collapse(path: string): string {
  let out = '';
  for (const ch of path) if (!(ch === '/' && out.endsWith('/'))) out += ch;
  return out;
}
