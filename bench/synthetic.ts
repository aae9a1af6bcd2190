/**
 * A deterministic synthetic cluster at the scale issue 5 asks for: 5,000 nodes with a
 * realistic mix of ephemeral-range profiles, 20,000 NodePort Services and 2,000
 * hostNetwork/hostPort pods. It yields what the informers would deliver (the ranges
 * ConfigMap `data`, Node, Service and Pod objects) so it can be fed through the same
 * code path as a live cluster.
 *
 * nodePorts are unique cluster-wide, and 30000–32767 holds only 2,768 of them, so the
 * synthetic ConfigMap widens `nodePortRange` to 30000–59999 (as a cluster with that many
 * NodePort Services must). Node profiles are chosen against that range.
 */
import { createRng, type Rng } from './prng.js';

export interface SyntheticSizes {
  nodes: number;
  services: number;
  hostPods: number;
}

export const FULL_SIZES: SyntheticSizes = { nodes: 5000, services: 20000, hostPods: 2000 };
export const QUICK_SIZES: SyntheticSizes = { nodes: 200, services: 800, hostPods: 80 };

export const SYNTHETIC_NODE_PORT_RANGE = { lo: 30000, hi: 59999 };

/** One node profile as a node reporter would write it, with how common it is. */
export interface ProfileSpec {
  id: string;
  pool: string;
  ipLocalPortRange: string;
  ipLocalReservedPorts?: string;
  weight: number;
}

/**
 * The profile mix. Most nodes are configured correctly for the widened range (ephemeral
 * range above it, or the overlap reserved); a minority carry the hazards the rules exist
 * for (kernel default, or `1024 65535` reserving only the old 30000–32767). No profile
 * leaves 30000–32767 unreserved, so safe free ports remain for the mutating webhook.
 */
export const PROFILES: readonly ProfileSpec[] = [
  { id: 'high-60000', pool: 'general', ipLocalPortRange: '60000 65535', weight: 18 },
  { id: 'high-60001', pool: 'general', ipLocalPortRange: '60001\t65535', weight: 4 },
  { id: 'high-61000', pool: 'db', ipLocalPortRange: '61000 65000', weight: 4 },
  {
    id: 'kernel-reserved',
    pool: 'general',
    ipLocalPortRange: '32768 60999',
    ipLocalReservedPorts: '30000-59999',
    weight: 14,
  },
  {
    id: 'kernel-cilium',
    pool: 'general',
    ipLocalPortRange: '32768 60999',
    ipLocalReservedPorts: '30000-60999',
    weight: 6,
  },
  {
    id: 'wide-reserved',
    pool: 'batch',
    ipLocalPortRange: '1024 65535',
    ipLocalReservedPorts: '30000-59999',
    weight: 10,
  },
  {
    id: 'wide-reserved-extra',
    pool: 'batch',
    ipLocalPortRange: '1024 65535',
    ipLocalReservedPorts: '22,80,443,2379-2380,10250,30000-59999',
    weight: 6,
  },
  {
    id: 'ingress',
    pool: 'ingress',
    ipLocalPortRange: '1024 65535',
    ipLocalReservedPorts: '80,443,8443,10254,30000-59999',
    weight: 4,
  },
  {
    id: 'mid-reserved',
    pool: 'general',
    ipLocalPortRange: '10000 65000',
    ipLocalReservedPorts: '9100,30000-59999',
    weight: 5,
  },
  {
    id: 'gpu',
    pool: 'gpu',
    ipLocalPortRange: '50000 65535',
    ipLocalReservedPorts: '50000-59999',
    weight: 3,
  },
  {
    id: 'high-partial',
    pool: 'system',
    ipLocalPortRange: '45000 65535',
    ipLocalReservedPorts: '45000-59999',
    weight: 4,
  },
  { id: 'system-high', pool: 'system', ipLocalPortRange: '60000 64999', weight: 3 },
  // The hazards: seed 000 and its variants.
  { id: 'kernel-default', pool: 'legacy', ipLocalPortRange: '32768 60999', weight: 8 },
  {
    id: 'wide-legacy-reserved',
    pool: 'legacy',
    ipLocalPortRange: '1024 65535',
    ipLocalReservedPorts: '30000-32767',
    weight: 3,
  },
  {
    id: 'high-partial-gap',
    pool: 'batch',
    ipLocalPortRange: '40000 65535',
    ipLocalReservedPorts: '40000-49999',
    weight: 2,
  },
];

export const ZONES = ['zone-a', 'zone-b', 'zone-c'] as const;

type Obj = Record<string, unknown>;

export interface SyntheticNode {
  name: string;
  profile: ProfileSpec;
  labels: Record<string, string>;
}

export interface SyntheticCluster {
  seed: number;
  sizes: SyntheticSizes;
  /** The ranges ConfigMap `data`, exactly as the node reporters would have written it. */
  configMapData: Record<string, string>;
  nodes: SyntheticNode[];
  /** Node objects as the Node informer delivers them (labels only matter). */
  nodeObjects: Obj[];
  services: Obj[];
  /** hostNetwork or hostPort pods, scheduled (nodeName set) as a watch would see them. */
  pods: Obj[];
  /** nodePorts held by `services`, and ones in the range that nothing holds. */
  usedNodePorts: number[];
  freeNodePorts: number[];
  namespaces: string[];
}

function nodeEntry(profile: ProfileSpec, labels: Record<string, string>): string {
  const entry: Record<string, unknown> = { ipLocalPortRange: profile.ipLocalPortRange };
  if (profile.ipLocalReservedPorts !== undefined) entry.ipLocalReservedPorts = profile.ipLocalReservedPorts;
  entry.labels = labels;
  return JSON.stringify(entry);
}

function uid(rng: Rng): string {
  const hex = () =>
    Math.floor(rng.next() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-a${hex().slice(1)}-${hex()}${hex()}${hex()}`;
}

function makeNodes(rng: Rng, count: number): SyntheticNode[] {
  const weights = PROFILES.map((p) => p.weight);
  const nodes: SyntheticNode[] = [];
  for (let i = 0; i < count; i++) {
    const profile = rng.weighted(PROFILES, weights);
    const zone = rng.pick(ZONES);
    const name = `${profile.pool}-${zone.slice(-1)}-${String(i).padStart(5, '0')}`;
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'topology.kubernetes.io/zone': zone,
      'node.kubernetes.io/instance-type': rng.pick([
        'm6i.2xlarge',
        'm6i.4xlarge',
        'c6i.4xlarge',
        'r6i.2xlarge',
      ]),
      pool: profile.pool,
      'portguard.io/profile': profile.id,
    };
    nodes.push({ name, profile, labels });
  }
  return nodes;
}

function makeService(rng: Rng, i: number, ns: string, takePort: () => number): Obj {
  const name = `svc-${String(i).padStart(5, '0')}`;
  const kind = rng.weighted(['NodePort', 'LoadBalancer', 'LoadBalancerLocal'] as const, [80, 15, 5]);
  const shape = rng.weighted(['http', 'http+https', 'udp'] as const, [85, 10, 5]);
  const servicePorts =
    shape === 'http'
      ? [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }]
      : shape === 'http+https'
        ? [
            { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
            { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
          ]
        : [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }];
  const spec: Obj = {
    type: kind === 'NodePort' ? 'NodePort' : 'LoadBalancer',
    clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`,
    clusterIPs: [`10.96.${(i >> 8) & 255}.${i & 255}`],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    selector: { app: name },
    sessionAffinity: 'None',
    externalTrafficPolicy: kind === 'LoadBalancerLocal' ? 'Local' : 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ports: servicePorts.map((p) => ({ ...p, nodePort: takePort() })),
  };
  if (kind === 'LoadBalancerLocal') spec.healthCheckNodePort = takePort();
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: ns,
      uid: uid(rng),
      resourceVersion: String(100000 + i),
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: name, team: `team-${i % 40}` },
    },
    spec,
    status: { loadBalancer: {} },
  };
}

/** DaemonSet-style pods that bind node ports: agents on hostNetwork, ingress on hostPort. */
const HOST_POD_SHAPES = [
  { app: 'node-exporter', hostNetwork: true, ports: [{ containerPort: 9100, protocol: 'TCP' }], weight: 30 },
  {
    app: 'cilium-agent',
    hostNetwork: true,
    ports: [
      { containerPort: 4240, protocol: 'TCP' },
      { containerPort: 9962, protocol: 'TCP' },
    ],
    weight: 20,
  },
  { app: 'fluent-bit', hostNetwork: true, ports: [{ containerPort: 2020, protocol: 'TCP' }], weight: 10 },
  {
    app: 'ingress-nginx',
    hostNetwork: false,
    ports: [
      { containerPort: 80, hostPort: 80, protocol: 'TCP' },
      { containerPort: 443, hostPort: 443, protocol: 'TCP' },
    ],
    weight: 25,
  },
  {
    app: 'statsd',
    hostNetwork: false,
    ports: [{ containerPort: 8125, hostPort: 8125, protocol: 'UDP' }],
    weight: 10,
  },
  { app: 'debug-agent', hostNetwork: false, ports: 'free', weight: 5 },
] as const;

function makeHostPod(rng: Rng, i: number, node: SyntheticNode, freePort: () => number): Obj {
  const shape = rng.weighted(
    HOST_POD_SHAPES,
    HOST_POD_SHAPES.map((s) => s.weight),
  );
  const ports =
    shape.ports === 'free'
      ? [{ containerPort: 7000, hostPort: freePort(), protocol: 'TCP' }]
      : shape.ports.map((p) => ({ ...p }));
  const name = `${shape.app}-${String(i).padStart(5, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'kube-system',
      uid: uid(rng),
      resourceVersion: String(500000 + i),
      labels: { app: shape.app },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: shape.app, uid: 'ds', controller: true },
      ],
    },
    spec: {
      nodeName: node.name,
      hostNetwork: shape.hostNetwork,
      dnsPolicy: shape.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      containers: [{ name: shape.app, image: `registry.example/${shape.app}:1.0`, ports }],
      tolerations: [{ operator: 'Exists' }],
    },
    status: {
      phase: 'Running',
      hostIP: `10.0.${(i >> 8) & 255}.${i & 255}`,
      podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
    },
  };
}

/** Builds the cluster; the same seed and sizes always give the same objects. */
export function generateCluster(sizes: SyntheticSizes, seed = 42): SyntheticCluster {
  const rng = createRng(seed);
  const nodes = makeNodes(rng, sizes.nodes);
  const configMapData: Record<string, string> = {
    nodePortRange: `${SYNTHETIC_NODE_PORT_RANGE.lo}-${SYNTHETIC_NODE_PORT_RANGE.hi}`,
    default: JSON.stringify({ ipLocalPortRange: '60000 65535' }),
  };
  for (const n of nodes) configMapData[`node.${n.name}`] = nodeEntry(n.profile, n.labels);

  const pool: number[] = [];
  for (let p = SYNTHETIC_NODE_PORT_RANGE.lo; p <= SYNTHETIC_NODE_PORT_RANGE.hi; p++) pool.push(p);
  rng.shuffle(pool);
  let next = 0;
  const takePort = (): number => {
    const p = pool[next++];
    if (p === undefined) throw new RangeError('synthetic nodePort range exhausted; lower the Service count');
    return p;
  };
  const namespaces = Array.from({ length: 200 }, (_, i) => `team-${String(i).padStart(3, '0')}`);
  const services: Obj[] = [];
  for (let i = 0; i < sizes.services; i++) services.push(makeService(rng, i, rng.pick(namespaces), takePort));
  const usedNodePorts = pool.slice(0, next);
  // Host ports from the free part of the pool never collide with a Service by construction.
  const pods: Obj[] = [];
  for (let i = 0; i < sizes.hostPods; i++) pods.push(makeHostPod(rng, i, rng.pick(nodes), takePort));
  const freeNodePorts = pool.slice(next);

  const nodeObjects = nodes.map((n) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: n.labels, resourceVersion: '1' },
  }));
  return {
    seed,
    sizes,
    configMapData,
    nodes,
    nodeObjects,
    services,
    pods,
    usedNodePorts,
    freeNodePorts,
    namespaces,
  };
}

/**
 * The ConfigMap after a round of reporter updates: `fraction` of the nodes moved to
 * another profile (a sysctl rollout). Used by the reload section.
 */
export function changedConfigMapData(
  cluster: SyntheticCluster,
  fraction: number,
  seed: number,
): Record<string, string> {
  const rng = createRng(seed);
  const data = { ...cluster.configMapData };
  for (const n of cluster.nodes) {
    if (rng.next() >= fraction) continue;
    const profile = rng.pick(PROFILES);
    // The report stamp makes every chosen entry differ from its previous text.
    const labels = { ...n.labels, 'portguard.io/profile': profile.id, 'portguard.io/reported': String(seed) };
    data[`node.${n.name}`] = nodeEntry(profile, labels);
  }
  return data;
}
