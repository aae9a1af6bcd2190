/**
 * A fleet of EKS-like nodes for the fleet section: node names, uids and the 18 labels a
 * managed node group's kubelet and the AWS cloud provider put on a real Node, with
 * realistic values and lengths (about 800 bytes of labels per node). The old reporter
 * copied all of them into each node's entry, so their size is what made the single
 * ranges ConfigMap grow. Ranges profiles come from the synthetic cluster's mix.
 */
import { createRng, type Rng } from '../prng.js';
import { PROFILES, type ProfileSpec } from '../synthetic.js';

export interface FleetNode {
  /** `ip-10-1-23-45.us-west-2.compute.internal`, as EKS names nodes. */
  name: string;
  uid: string;
  labels: Record<string, string>;
  profile: ProfileSpec;
  /** Which of the profile's host variants (listeners, connections) the node runs. */
  variant: number;
}

/** Host variants per profile: different listener sets and connections (see proc.ts). */
export const HOST_VARIANTS = 4;

const REGION = 'us-west-2';
const ZONES = ['us-west-2a', 'us-west-2b', 'us-west-2c'] as const;
const INSTANCE_TYPES = ['m6i.2xlarge', 'm6i.4xlarge', 'c6i.4xlarge', 'r6i.2xlarge', 'm7g.2xlarge'] as const;

function hex(rng: Rng, digits: number): string {
  let out = '';
  while (out.length < digits) out += Math.floor(rng.next() * 16).toString(16);
  return out;
}

function uid(rng: Rng): string {
  return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}`;
}

/** Per node group: the AMI and launch template its nodes share. */
interface NodeGroup {
  name: string;
  instanceType: string;
  capacityType: 'ON_DEMAND' | 'SPOT';
  ami: string;
  launchTemplate: string;
  launchTemplateVersion: string;
}

function nodeGroups(rng: Rng): Map<string, NodeGroup> {
  const groups = new Map<string, NodeGroup>();
  for (const pool of new Set(PROFILES.map((p) => p.pool))) {
    const instanceType = rng.pick(INSTANCE_TYPES);
    const capacityType = pool === 'batch' ? 'SPOT' : 'ON_DEMAND';
    groups.set(pool, {
      name: `prod-${pool}-${instanceType.split('.')[0]}-20241112094512`,
      instanceType,
      capacityType,
      ami: `ami-0${hex(rng, 16)}`,
      launchTemplate: `lt-0${hex(rng, 16)}`,
      launchTemplateVersion: String(rng.int(1, 14)),
    });
  }
  return groups;
}

/**
 * `count` nodes with distinct private-IP names spread over a /14, the synthetic profile mix
 * and their node group's labels. The same seed gives the same fleet.
 */
export function generateFleet(count: number, seed = 14): FleetNode[] {
  const rng = createRng(seed);
  const groups = nodeGroups(rng);
  // The cloud provider labels every node of a cluster with the same value.
  const cloudProvider = hex(rng, 32);
  const weights = PROFILES.map((p) => p.weight);
  const nodes: FleetNode[] = [];
  // An odd multiplier modulo 2^18 is a bijection: distinct addresses, scattered like real ones.
  const space = 1 << 18;
  for (let i = 0; i < count; i++) {
    const profile = rng.weighted(PROFILES, weights);
    const group = groups.get(profile.pool)!;
    const zone = rng.pick(ZONES);
    const ip = (i * 40503 + 1024) % space;
    const name = `ip-10-${ip >> 16}-${(ip >> 8) & 255}-${ip & 255}.${REGION}.compute.internal`;
    const arch = group.instanceType.startsWith('m7g') ? 'arm64' : 'amd64';
    const labels: Record<string, string> = {
      'beta.kubernetes.io/arch': arch,
      'beta.kubernetes.io/instance-type': group.instanceType,
      'beta.kubernetes.io/os': 'linux',
      'eks.amazonaws.com/capacityType': group.capacityType,
      'eks.amazonaws.com/nodegroup': group.name,
      'eks.amazonaws.com/nodegroup-image': group.ami,
      'eks.amazonaws.com/sourceLaunchTemplateId': group.launchTemplate,
      'eks.amazonaws.com/sourceLaunchTemplateVersion': group.launchTemplateVersion,
      'failure-domain.beta.kubernetes.io/region': REGION,
      'failure-domain.beta.kubernetes.io/zone': zone,
      'k8s.io/cloud-provider-aws': cloudProvider,
      'kubernetes.io/arch': arch,
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'node.kubernetes.io/instance-type': group.instanceType,
      'node.kubernetes.io/lifecycle': group.capacityType === 'SPOT' ? 'spot' : 'normal',
      'topology.kubernetes.io/region': REGION,
      'topology.kubernetes.io/zone': zone,
    };
    nodes.push({ name, uid: uid(rng), labels, profile, variant: rng.int(0, HOST_VARIANTS - 1) });
  }
  return nodes;
}

/** The Node object the Node informer lists (labels and uid are what the server and reporter read). */
export function nodeObject(node: FleetNode): Record<string, unknown> {
  return { metadata: { name: node.name, uid: node.uid, labels: node.labels } };
}
