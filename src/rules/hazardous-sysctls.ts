/**
 * Node sysctls known to break cluster networking. A table so that adding one is one
 * entry: `isHazard` gets the value as written and says whether it is the bad setting.
 */
export interface HazardousSysctl {
  key: string;
  isHazard(value: string): boolean;
  why: string;
  fix: string;
}

const isZero = (v: string) => v.trim() === '0';
const isNonZero = (v: string) => v.trim() !== '0';

export const HAZARDOUS_SYSCTLS: readonly HazardousSysctl[] = [
  {
    key: 'net.ipv4.tcp_tw_recycle',
    isHazard: isNonZero,
    why: 'with TCP timestamps behind NAT the node drops SYNs from clients (PAWS rejects them)',
    fix: 'leave it at 0 (Linux 4.12 removed it)',
  },
  {
    key: 'net.ipv4.ip_forward',
    isHazard: isZero,
    why: 'the node stops forwarding Service and pod traffic',
    fix: 'keep it at 1',
  },
  {
    key: 'net.ipv4.conf.all.forwarding',
    isHazard: isZero,
    why: 'the node stops forwarding Service and pod traffic',
    fix: 'keep it at 1',
  },
  {
    key: 'net.bridge.bridge-nf-call-iptables',
    isHazard: isZero,
    why: 'bridged pod traffic bypasses the kube-proxy iptables rules',
    fix: 'keep it at 1',
  },
  {
    key: 'net.bridge.bridge-nf-call-ip6tables',
    isHazard: isZero,
    why: 'bridged IPv6 pod traffic bypasses the kube-proxy ip6tables rules',
    fix: 'keep it at 1',
  },
];

export const HAZARDOUS_BY_KEY: ReadonlyMap<string, HazardousSysctl> = new Map(
  HAZARDOUS_SYSCTLS.map((h) => [h.key, h]),
);
