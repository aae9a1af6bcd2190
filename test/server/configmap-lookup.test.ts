/**
 * /validate with the ConfigMap lookup against a real HTTP apiserver: a node-tuning script
 * whose sysctl name or whole file lives in a ConfigMap is judged on what the ConfigMap
 * holds (denied here), where without the lookup it is only unknown (a warning). Pods that
 * cannot reach the node never cost an API call, and a hung apiserver still gets an answer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createConfigMapLookup } from '../../src/kube/configmap-lookup.js';
import { createConfigMapReader } from '../../src/kube/configmap-reader.js';
import type { AdmissionRequest } from '../../src/server/admission-request.js';
import { configMapsNeeded } from '../../src/server/review-configmaps.js';
import { type ListWatchServer, recordingLogger, startListWatchServer } from '../support/list-watch-server.js';
import { type Json, post, testApp } from './helpers.js';

const NS = 'node-tuning';
const RULE = 'port-range-overlaps-nodeports';

const TUNING = {
  metadata: { name: 'tuning', namespace: NS },
  data: { s1: 'net.ipv4.ip_local_port_range=1024 65535' },
};
const SCRIPTS = {
  metadata: { name: 'node-scripts', namespace: NS },
  data: { 'tune.sh': '#!/bin/sh\nset -e\nsysctl -w net.ipv4.ip_local_port_range="1024 65535"\n' },
};

function daemonSet(pod: Json): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'tuner', namespace: NS },
    spec: {
      selector: { matchLabels: { app: 'tuner' } },
      template: { metadata: { labels: { app: 'tuner' } }, spec: pod },
    },
  };
}

/** `sysctl -w "$SYSCTL_1"` with SYSCTL_1 from a configMapKeyRef. */
const envFromConfigMap = daemonSet({
  hostNetwork: true,
  initContainers: [
    {
      name: 'tune',
      image: 'busybox:1.36',
      securityContext: { privileged: true },
      command: ['sh', '-c', 'sysctl -w "$SYSCTL_1"'],
      env: [{ name: 'SYSCTL_1', valueFrom: { configMapKeyRef: { name: 'tuning', key: 's1' } } }],
    },
  ],
  containers: [{ name: 'app', image: 'app:1' }],
});

/** `sh /scripts/tune.sh` with /scripts mounted from a ConfigMap. */
const mountedScript = daemonSet({
  hostNetwork: true,
  initContainers: [
    {
      name: 'tune',
      image: 'busybox:1.36',
      securityContext: { privileged: true },
      command: ['sh', '/scripts/tune.sh'],
      volumeMounts: [{ name: 'scripts', mountPath: '/scripts' }],
    },
  ],
  containers: [{ name: 'app', image: 'app:1' }],
  volumes: [{ name: 'scripts', configMap: { name: 'node-scripts' } }],
});

/** The same env and mount in a pod that stays in its own network namespace. */
const ordinaryPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: NS },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'web:1',
        command: ['sh', '/scripts/tune.sh'],
        env: [{ name: 'SYSCTL_1', valueFrom: { configMapKeyRef: { name: 'tuning', key: 's1' } } }],
        volumeMounts: [{ name: 'scripts', mountPath: '/scripts' }],
      },
    ],
    volumes: [{ name: 'scripts', configMap: { name: 'node-scripts' } }],
  },
};

function review(object: Json, operation: 'CREATE' | 'UPDATE' = 'CREATE', oldObject?: Json): Json {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-1',
      kind: { group, version, kind: object.kind },
      operation,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      object,
      ...(oldObject ? { oldObject } : {}),
    },
  };
}

let server: ListWatchServer;
beforeEach(async () => {
  server = await startListWatchServer({ seed: { configmaps: [TUNING, SCRIPTS] } });
});
afterEach(async () => {
  server.resumeRequests();
  await server.close();
});

function configMapGets(): string[] {
  return server.requests.filter((r) => r.path.includes('/configmaps/')).map((r) => r.path);
}

async function appWith(opts: { lookup: boolean; timeoutMs?: number; policy?: typeof DEFAULT_POLICY }) {
  const t = await testApp({
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.lookup
      ? {
          configMapLookup: createConfigMapLookup({
            reader: createConfigMapReader(server.kubeConfig(), opts.timeoutMs ?? 5_000),
            now: () => 0,
            logger: recordingLogger(),
          }),
        }
      : {}),
  });
  return t;
}

describe('/validate reads the ConfigMaps of node-tuning scripts', () => {
  it.each([
    { what: 'a sysctl name from a configMapKeyRef', object: envFromConfigMap, configMap: 'tuning' },
    { what: 'a script file mounted from a ConfigMap', object: mountedScript, configMap: 'node-scripts' },
  ])('$what: denied with the lookup, warned without it', async ({ object, configMap }) => {
    const withLookup = await appWith({ lookup: true });
    const denied = (await post(withLookup.app, '/validate', review(object))).body.response;
    await withLookup.app.close();
    expect(denied.allowed).toBe(false);
    expect(denied.status.message).toContain(`[${RULE}] spec.template.spec.initContainers[0].command`);
    expect(denied.status.message).toContain('writes net.ipv4.ip_local_port_range="1024 65535" on the node');
    expect(configMapGets()).toEqual([`/api/v1/namespaces/${NS}/configmaps/${configMap}`]);

    const without = await appWith({ lookup: false });
    const warned = (await post(without.app, '/validate', review(object))).body.response;
    await without.app.close();
    expect(warned.allowed).toBe(true);
    expect(warned.warnings.join(' ')).toContain(`${RULE}:`);
    expect(configMapGets()).toHaveLength(1);
  });

  it('an ordinary pod that reads the same ConfigMaps triggers no lookup', async () => {
    const t = await appWith({ lookup: true });
    const r = (await post(t.app, '/validate', review(ordinaryPod))).body.response;
    await t.app.close();
    expect(r.allowed).toBe(true);
    expect(server.requests).toEqual([]);
  });

  it('a hung apiserver still gets an answer: the write is unknown, as without the lookup', async () => {
    server.stallRequests('configmaps');
    const t = await appWith({ lookup: true, timeoutMs: 50 });
    const r = (await post(t.app, '/validate', review(envFromConfigMap))).body.response;
    await t.app.close();
    expect(r.allowed).toBe(true);
    expect(r.warnings.join(' ')).toContain(`${RULE}:`);
    expect(server.stalledCount).toBe(1);
  });

  it('a missing ConfigMap under unknownNodeWrites: deny is denied', async () => {
    server.emit('configmaps', 'DELETED', TUNING);
    const t = await appWith({ lookup: true, policy: { ...DEFAULT_POLICY, unknownNodeWrites: 'deny' } });
    const r = (await post(t.app, '/validate', review(envFromConfigMap))).body.response;
    await t.app.close();
    expect(r.allowed).toBe(false);
    expect(r.status.message).toContain(RULE);
  });
});

describe('which ConfigMaps a request needs', () => {
  const request = (object: Json, operation = 'CREATE', oldObject?: Json): AdmissionRequest =>
    review(object, operation as 'CREATE', oldObject).request;
  const withRef = (object: Json, name: string): Json => {
    const copy = structuredClone(object);
    copy.spec.template.spec.initContainers[0].env = [
      { name: 'X', valueFrom: { configMapKeyRef: { name, key: 'k' } } },
    ];
    return copy;
  };

  it.each([
    ['a node-reaching DaemonSet', request(envFromConfigMap), { namespace: NS, names: ['tuning'] }],
    ['an ordinary pod', request(ordinaryPod), undefined],
    ['DELETE', { ...request(envFromConfigMap), operation: 'DELETE' }, undefined],
    [
      'an object in another namespace than the request',
      { ...request(envFromConfigMap), namespace: 'shop' },
      undefined,
    ],
    ['no request namespace', { ...request(envFromConfigMap), namespace: undefined }, undefined],
    [
      'no ConfigMaps referenced',
      request(daemonSet({ hostNetwork: true, containers: [{ name: 'a' }] })),
      undefined,
    ],
    [
      'UPDATE: the new names first, then the old',
      request(withRef(envFromConfigMap, 'new-cm'), 'UPDATE', withRef(envFromConfigMap, 'old-cm')),
      { namespace: NS, names: ['new-cm', 'old-cm'] },
    ],
  ] as const)('%s', (_what, req, expected) => {
    expect(configMapsNeeded(req as AdmissionRequest)).toEqual(expected);
  });
});
