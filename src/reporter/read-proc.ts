/**
 * Reads a node's ephemeral-port sysctls from a proc tree. The DaemonSet mounts the
 * host's /proc read-only at /host/proc; tests point it at fixture directories.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLocalPortRange, parseReservedPorts } from '../core/portset.js';

/** The two values, as the kernel prints them (trailing newline removed). */
export interface NodeSysctls {
  ipLocalPortRange: string;
  ipLocalReservedPorts: string;
}

/** The proc tree is missing a file or holds a value the ConfigMap contract rejects. */
export class ProcReadError extends Error {
  override name = 'ProcReadError';
}

const FILES = {
  ipLocalPortRange: 'sys/net/ipv4/ip_local_port_range',
  ipLocalReservedPorts: 'sys/net/ipv4/ip_local_reserved_ports',
} as const;

async function read(procRoot: string, rel: string): Promise<string> {
  const path = join(procRoot, rel);
  try {
    return (await readFile(path, 'utf8')).replace(/\s+$/, '');
  } catch (err) {
    throw new ProcReadError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Reads both values and validates them with the same parsers the server uses, so a
 * reporter never writes an entry that the server would reject (which would make the
 * whole ConfigMap update be refused).
 */
export async function readNodeSysctls(procRoot: string): Promise<NodeSysctls> {
  const [ipLocalPortRange, ipLocalReservedPorts] = await Promise.all([
    read(procRoot, FILES.ipLocalPortRange),
    read(procRoot, FILES.ipLocalReservedPorts),
  ]);
  try {
    parseLocalPortRange(ipLocalPortRange);
    parseReservedPorts(ipLocalReservedPorts);
  } catch (err) {
    throw new ProcReadError(`unexpected value in ${procRoot}: ${(err as Error).message}`);
  }
  return { ipLocalPortRange, ipLocalReservedPorts };
}
