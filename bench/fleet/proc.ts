/**
 * Proc trees for the fleet's reporters: one per (profile, host variant), with the two
 * sysctls and the four socket tables in the kernel's format, so every report in the
 * fleet section is what the real reporter reads and writes. Listeners are an EKS node's
 * (sshd, kubelet, kube-proxy, aws-node) plus per-variant DaemonSets on the host network;
 * connections come from the first unreserved ports of the node's ephemeral range, so a
 * profile whose range overlaps the NodePort range reports a non-zero source-port count.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PortSet, parseLocalPortRange, parseReservedPorts } from '../../src/core/portset.js';
import type { ProfileSpec } from '../synthetic.js';
import { HOST_VARIANTS } from './nodes.js';

interface Socket {
  family: 4 | 6;
  local: string;
  localPort: number;
  remotePort: number;
  /** TCP: 0A listen, 01 established; UDP: 07 unconnected. */
  state: string;
}

const ANY4 = '00000000';
const LOOPBACK4 = '0100007F';
const NODE_IP4 = '0C01000A'; // 10.0.1.12, little-endian as the kernel prints it
const ANY6 = '00000000000000000000000000000000';

const BASE_TCP: [4 | 6, string, number][] = [
  [4, ANY4, 22], // sshd
  [4, LOOPBACK4, 10248], // kubelet healthz
  [4, LOOPBACK4, 10249], // kube-proxy metrics
  [4, LOOPBACK4, 50051], // aws-node ipamd gRPC
  [4, LOOPBACK4, 61679], // ipamd introspection
  [6, ANY6, 10250], // kubelet
  [6, ANY6, 10256], // kube-proxy healthz
  [6, ANY6, 61678], // aws-node metrics
];
const VARIANT_TCP: [4 | 6, string, number][][] = [
  [],
  [
    [6, ANY6, 9100], // node-exporter
    [4, ANY4, 2020], // fluent-bit
  ],
  [
    [4, ANY4, 80], // ingress controller on the host network
    [4, ANY4, 443],
    [6, ANY6, 10254],
  ],
  [
    [6, ANY6, 4240], // cilium health
    [4, LOOPBACK4, 9890],
    [6, ANY6, 9962],
    [6, ANY6, 9964],
  ],
];

function hex4(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

function table(family: 4 | 6, sockets: Socket[]): string {
  const any = family === 4 ? ANY4 : ANY6;
  const header =
    family === 4
      ? '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
      : '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const lines = sockets
    .filter((s) => s.family === family)
    .map((s, i) => {
      const remote = s.remotePort === 0 ? any : family === 4 ? '6400000A' : any;
      return `${String(i).padStart(4)}: ${s.local}:${hex4(s.localPort)} ${remote}:${hex4(s.remotePort)} ${s.state} 00000000:00000000 00:00000000 00000000     0        0 ${20000 + i} 1 0000000000000000 100 0 0 10 0\n`;
    });
  return header + lines.join('');
}

/** The sockets of one host: listeners, accepted kubelet connections, outgoing connections. */
function sockets(profile: ProfileSpec, variant: number): { tcp: Socket[]; udp: Socket[] } {
  const tcp: Socket[] = [...BASE_TCP, ...(VARIANT_TCP[variant] ?? [])].map(([family, local, port]) => ({
    family,
    local,
    localPort: port,
    remotePort: 0,
    state: '0A',
  }));
  // The apiserver's connections to the kubelet: accepted, so not a source port.
  for (let k = 0; k < 3; k++)
    tcp.push({ family: 4, local: NODE_IP4, localPort: 10250, remotePort: 40000 + k, state: '01' });
  // Outgoing connections (kubelet, aws-node, agents to the apiserver) from ports the kernel could pick.
  const range = parseLocalPortRange(profile.ipLocalPortRange);
  const free = PortSet.range(range.lo, range.hi).subtract(
    parseReservedPorts(profile.ipLocalReservedPorts ?? ''),
  );
  for (let k = 0; k < 4 + 3 * variant; k++) {
    const port = free.nth(k * 97);
    if (port !== undefined)
      tcp.push({ family: 4, local: NODE_IP4, localPort: port, remotePort: 443, state: '01' });
  }
  const udp: Socket[] = [{ family: 4, local: LOOPBACK4, localPort: 323, remotePort: 0, state: '07' }]; // chronyd
  if (variant === 3) udp.push({ family: 4, local: ANY4, localPort: 8472, remotePort: 0, state: '07' }); // VXLAN
  return { tcp, udp };
}

/** The proc root of `profile` and `variant` under `root`. */
export function procTreePath(root: string, profile: ProfileSpec, variant: number): string {
  return join(root, `${profile.id}-${variant}`);
}

/** Writes one tree per profile and variant under `root`. */
export async function writeProcTrees(root: string, profiles: readonly ProfileSpec[]): Promise<void> {
  for (const profile of profiles) {
    for (let variant = 0; variant < HOST_VARIANTS; variant++) {
      const dir = procTreePath(root, profile, variant);
      const sys = join(dir, 'sys', 'net', 'ipv4');
      await mkdir(sys, { recursive: true });
      await mkdir(join(dir, 'net'), { recursive: true });
      // The kernel prints the range with a tab and ends both files with a newline.
      const { lo, hi } = parseLocalPortRange(profile.ipLocalPortRange);
      await writeFile(join(sys, 'ip_local_port_range'), `${lo}\t${hi}\n`);
      await writeFile(join(sys, 'ip_local_reserved_ports'), `${profile.ipLocalReservedPorts ?? ''}\n`);
      const { tcp, udp } = sockets(profile, variant);
      await writeFile(join(dir, 'net', 'tcp'), table(4, tcp));
      await writeFile(join(dir, 'net', 'tcp6'), table(6, tcp));
      await writeFile(join(dir, 'net', 'udp'), table(4, udp));
      await writeFile(join(dir, 'net', 'udp6'), table(6, udp));
    }
  }
}
