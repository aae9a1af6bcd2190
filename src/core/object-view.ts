/**
 * Normalises a Kubernetes object (from an AdmissionRequest, a manifest or an informer)
 * into the parts the rules read: Service node ports and the pod spec of a Pod or of a
 * workload's template. Unknown kinds yield no view, which means "nothing to check".
 */
import type { Protocol } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are untyped JSON here.
export type Json = any;

export interface ServicePortRef {
  path: string;
  port: number;
  protocol: Protocol;
  field: 'nodePort' | 'healthCheckNodePort';
  /** Index into spec.ports, for nodePort refs. */
  index?: number;
  /** The Service port number, used as the managedFields key. */
  servicePort?: number;
}

export interface ServiceView {
  type: string;
  /** Node ports the Service holds (explicit or allocated). */
  nodePorts: ServicePortRef[];
  /** spec.ports entries that will get an auto-allocated nodePort. */
  unsetPorts: { index: number; protocol: Protocol; port: number }[];
}

export interface PodView {
  spec: Json;
  /** Path to the pod spec inside the object, e.g. `spec.template.spec`. */
  specPath: string;
  hostNetwork: boolean;
}

export interface ObjectView {
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  object: Json;
  service?: ServiceView;
  pod?: PodView;
}

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  PodTemplate: ['template', 'spec'],
};

export const CHECKED_KINDS = ['Service', ...Object.keys(POD_SPEC_PATHS)];

export function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function protocolOf(v: unknown): Protocol {
  return v === 'UDP' || v === 'SCTP' ? v : 'TCP';
}

export function validPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/** Does this Service type make the apiserver hold node ports? */
export function allocatesNodePorts(spec: Json): boolean {
  if (spec?.type === 'NodePort') return true;
  return spec?.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

function serviceView(spec: Json): ServiceView {
  const type = typeof spec?.type === 'string' ? spec.type : 'ClusterIP';
  const nodePorts: ServicePortRef[] = [];
  const unsetPorts: ServiceView['unsetPorts'] = [];
  if (type === 'NodePort' || type === 'LoadBalancer') {
    const ports = Array.isArray(spec.ports) ? spec.ports : [];
    ports.forEach((p: Json, index: number) => {
      if (!isObject(p)) return;
      const protocol = protocolOf(p.protocol);
      if (validPort(p.nodePort)) {
        nodePorts.push({
          path: `spec.ports[${index}].nodePort`,
          port: p.nodePort,
          protocol,
          field: 'nodePort',
          index,
          servicePort: typeof p.port === 'number' ? p.port : undefined,
        });
      } else if (
        allocatesNodePorts(spec) &&
        (p.nodePort === undefined || p.nodePort === null || p.nodePort === 0)
      ) {
        unsetPorts.push({ index, protocol, port: typeof p.port === 'number' ? p.port : 0 });
      }
    });
    if (type === 'LoadBalancer' && validPort(spec.healthCheckNodePort)) {
      nodePorts.push({
        path: 'spec.healthCheckNodePort',
        port: spec.healthCheckNodePort,
        protocol: 'TCP',
        field: 'healthCheckNodePort',
      });
    }
  }
  return { type, nodePorts, unsetPorts };
}

/** Builds the view, or undefined for kinds portguard does not check. */
export function viewOf(object: unknown, fallbackNamespace = ''): ObjectView | undefined {
  if (!isObject(object) || typeof object.kind !== 'string') return undefined;
  const meta = isObject(object.metadata) ? object.metadata : {};
  const base = {
    kind: object.kind,
    apiVersion: typeof object.apiVersion === 'string' ? object.apiVersion : '',
    namespace:
      typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : fallbackNamespace,
    name:
      typeof meta.name === 'string'
        ? meta.name
        : typeof meta.generateName === 'string'
          ? `${meta.generateName}*`
          : '',
    object,
  };
  if (object.kind === 'Service') return { ...base, service: serviceView(object.spec) };
  const path = POD_SPEC_PATHS[object.kind];
  if (!path) return undefined;
  let spec: Json = object;
  for (const key of path) spec = isObject(spec) ? spec[key] : undefined;
  if (!isObject(spec)) return { ...base };
  return { ...base, pod: { spec, specPath: path.join('.'), hostNetwork: spec.hostNetwork === true } };
}

/** A container with its JSON path, for all container lists of a pod spec. */
export interface ContainerRef {
  container: Json;
  path: string;
  init: boolean;
}

/**
 * Every list whose entries run as processes of the pod. Ephemeral containers count: a
 * debug container added through `pods/ephemeralcontainers` runs privileged scripts in the
 * pod's namespaces just like the others.
 */
export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

export function containersOf(pod: PodView): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const list of CONTAINER_LISTS) {
    const init = list === 'initContainers';
    const items = pod.spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((c: Json, i: number) => {
      if (isObject(c)) out.push({ container: c, path: `${pod.specPath}.${list}[${i}]`, init });
    });
  }
  return out;
}

export interface HostPortRef {
  path: string;
  port: number;
  protocol: Protocol;
  /** containerPort on a hostNetwork pod, or an explicit hostPort. */
  via: 'hostNetwork' | 'hostPort';
}

/** Ports the pod binds in the node's network namespace. */
export function hostPortsOf(pod: PodView): HostPortRef[] {
  const out: HostPortRef[] = [];
  for (const ref of containersOf(pod)) {
    const ports = ref.container.ports;
    if (!Array.isArray(ports)) continue;
    ports.forEach((p: Json, i: number) => {
      if (!isObject(p)) return;
      const protocol = protocolOf(p.protocol);
      if (validPort(p.hostPort)) {
        out.push({ path: `${ref.path}.ports[${i}].hostPort`, port: p.hostPort, protocol, via: 'hostPort' });
      } else if (pod.hostNetwork && validPort(p.containerPort)) {
        out.push({
          path: `${ref.path}.ports[${i}].containerPort`,
          port: p.containerPort,
          protocol,
          via: 'hostNetwork',
        });
      }
    });
  }
  return out;
}

export function objectKey(view: { kind: string; namespace: string; name: string }): string {
  return `${view.kind}/${view.namespace}/${view.name}`;
}
