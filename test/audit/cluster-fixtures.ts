/**
 * Builders for fixture cluster states: objects as the apiserver lists them (with uids,
 * ownerReferences and allocated nodePorts) plus ranges ConfigMap data.
 */
import { type ClusterRanges, parseNodeRanges } from '../../src/core/node-ranges.js';
import type { Json } from '../../src/core/object-view.js';

export const WIDE = '{"ipLocalPortRange": "1024 65535"}';
export const KERNEL = '{"ipLocalPortRange": "32768 60999"}';

export function rangesOf(data: Record<string, string>): ClusterRanges {
  const { ranges, errors } = parseNodeRanges(data, 'fixture');
  if (errors.length) throw new Error(JSON.stringify(errors));
  return ranges;
}

export function service(namespace: string, name: string, nodePorts: number[], extra: Json = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, uid: `uid-svc-${namespace}-${name}` },
    spec: {
      type: 'NodePort',
      ports: nodePorts.map((nodePort, i) => ({ name: `p${i}`, port: 80 + i, protocol: 'TCP', nodePort })),
      ...extra,
    },
  };
}

export function owner(kind: string, name: string, uid: string): Json {
  return { apiVersion: 'apps/v1', kind, name, uid, controller: true };
}

export function podSpec(opts: {
  hostNetwork?: boolean;
  ports?: Json[];
  command?: string[];
  nodeName?: string;
}): Json {
  return {
    ...(opts.hostNetwork ? { hostNetwork: true } : {}),
    ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
    containers: [
      {
        name: 'c',
        image: 'busybox',
        ports: opts.ports ?? [],
        ...(opts.command ? { command: opts.command } : {}),
      },
    ],
  };
}

export function pod(namespace: string, name: string, spec: Json, owners: Json[] = []): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, uid: `uid-pod-${namespace}-${name}`, ownerReferences: owners },
    spec,
  };
}

export function workload(
  kind: string,
  namespace: string,
  name: string,
  spec: Json,
  owners: Json[] = [],
): Json {
  const apiVersion = kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  const template = { metadata: {}, spec };
  const body =
    kind === 'CronJob'
      ? { schedule: '* * * * *', jobTemplate: { spec: { template } } }
      : { selector: {}, template };
  return {
    apiVersion,
    kind,
    metadata: { namespace, name, uid: `uid-${kind}-${namespace}-${name}`, ownerReferences: owners },
    spec: body,
  };
}
