import { describe, expect, it } from 'vitest';
import { type ConfigMapData, configMapRefsOf, containerInputs } from '../../src/core/configmap-inputs.js';

const CMS: ConfigMapData = new Map<string, Record<string, string>>([
  [
    'shop/tuning',
    { s1: 'net.ipv4.ip_local_port_range=1024 65535', 'tune.sh': 'sysctl -w a.b=1', other: 'x' },
  ],
  ['shop/more', { 'sysctl.conf': 'net.core.somaxconn = 4096' }],
  ['kube-system/tuning', { s1: 'wrong namespace' }],
]);

const spec = (container: Record<string, unknown>, volumes: unknown[] = []) => ({
  volumes,
  containers: [{ name: 'c', image: 'i', ...container }],
});

describe('containerInputs', () => {
  it.each([
    [
      'configMapKeyRef',
      { env: [{ name: 'S', valueFrom: { configMapKeyRef: { name: 'tuning', key: 's1' } } }] },
      { S: { value: 'net.ipv4.ip_local_port_range=1024 65535' } },
    ],
    [
      'a missing key',
      { env: [{ name: 'S', valueFrom: { configMapKeyRef: { name: 'tuning', key: 'no' } } }] },
      { S: {} },
    ],
    [
      'a ConfigMap not given',
      { env: [{ name: 'S', valueFrom: { configMapKeyRef: { name: 'absent', key: 's1' } } }] },
      { S: {} },
    ],
    [
      'envFrom with a prefix, an explicit env entry wins',
      {
        envFrom: [{ configMapRef: { name: 'more' }, prefix: 'P_' }],
        env: [{ name: 'P_sysctl.conf', value: 'mine' }],
      },
      { 'P_sysctl.conf': { value: 'mine' } },
    ],
    [
      'a fieldRef stays symbolic',
      { env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] },
      { IP: { fieldRef: 'status.podIP' } },
    ],
  ])('env: %s', (_n, container, env) => {
    const s = spec(container);
    expect(containerInputs(s.containers[0], s, 'shop', CMS).env).toEqual(env);
  });

  it.each([
    [
      'a whole ConfigMap',
      [{ name: 'v', configMap: { name: 'tuning' } }],
      { name: 'v', mountPath: '/scripts' },
      ['/scripts/other', '/scripts/s1', '/scripts/tune.sh'],
    ],
    [
      'selected items under other paths',
      [{ name: 'v', configMap: { name: 'tuning', items: [{ key: 'tune.sh', path: 'bin/run.sh' }] } }],
      { name: 'v', mountPath: '/opt/' },
      ['/opt/bin/run.sh'],
    ],
    [
      'a subPath mount',
      [{ name: 'v', configMap: { name: 'more' } }],
      { name: 'v', mountPath: '/etc/sysctl.d/99.conf', subPath: 'sysctl.conf' },
      ['/etc/sysctl.d/99.conf'],
    ],
    [
      'a projected volume',
      [{ name: 'v', projected: { sources: [{ configMap: { name: 'more' } }, { secret: { name: 's' } }] } }],
      { name: 'v', mountPath: '/etc/sysctl.d' },
      ['/etc/sysctl.d/sysctl.conf'],
    ],
    [
      'a volume of a ConfigMap not given',
      [{ name: 'v', configMap: { name: 'absent' } }],
      { name: 'v', mountPath: '/x' },
      [],
    ],
    [
      'a mount of another volume',
      [{ name: 'v', configMap: { name: 'tuning' } }],
      { name: 'w', mountPath: '/x' },
      [],
    ],
  ])('files: %s', (_n, volumes, mount, paths) => {
    const s = spec({ volumeMounts: [mount] }, volumes);
    expect(Object.keys(containerInputs(s.containers[0], s, 'shop', CMS).files).sort()).toEqual(paths);
  });

  it('names every ConfigMap a pod spec reads, once each', () => {
    const s = {
      volumes: [
        { name: 'v', configMap: { name: 'vol' } },
        { name: 'p', projected: { sources: [{ configMap: { name: 'proj' } }] } },
      ],
      initContainers: [{ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'env', key: 'k' } } }] }],
      containers: [{ envFrom: [{ configMapRef: { name: 'from' } }, { configMapRef: { name: 'env' } }] }],
    };
    expect(configMapRefsOf(s)).toEqual(['env', 'from', 'proj', 'vol']);
    expect(configMapRefsOf(null)).toEqual([]);
  });
});
