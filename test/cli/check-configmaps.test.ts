/**
 * `portguard check` resolves what a script reads from a ConfigMap in the same input (issue 10):
 * a sysctl name from a configMapKeyRef env and a script mounted from a ConfigMap are judged;
 * without the ConfigMap they are unknown (a warning, or a denial under unknownNodeWrites: deny).
 * In-process through runCheck (what the command runs); check-cli.test.ts pins the process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkInProcess } from './check-in-process.js';
import { mkTmp } from './run-cli.js';

const DAEMONSET = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: tuner, namespace: kube-system}
spec:
  selector: {matchLabels: {app: tuner}}
  template:
    metadata: {labels: {app: tuner}}
    spec:
      hostNetwork: true
      volumes: [{name: scripts, configMap: {name: tuning}}]
      initContainers:
        - name: by-env
          image: busybox:1.36
          command: [sh, -c, 'sysctl -w "$SYSCTL_1"']
          env:
            - name: SYSCTL_1
              valueFrom: {configMapKeyRef: {name: tuning, key: sysctl1}}
        - name: by-file
          image: busybox:1.36
          command: [sh, /scripts/tune.sh]
          volumeMounts: [{name: scripts, mountPath: /scripts}]
      containers: [{name: pause, image: registry.k8s.io/pause:3.9}]
`;
const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata: {name: tuning, namespace: kube-system}
data:
  sysctl1: net.ipv4.ip_local_port_range=1024 65535
  tune.sh: |
    #!/bin/sh
    sysctl -w net.ipv4.ip_local_port_range="1024 65535"
`;

let tmp: string;
beforeAll(() => {
  tmp = mkTmp('pg-cm-');
  writeFileSync(join(tmp, 'with-configmap.yaml'), `${CONFIGMAP}---\n${DAEMONSET}`);
  writeFileSync(join(tmp, 'daemonset.yaml'), DAEMONSET);
  writeFileSync(join(tmp, 'configmap.yaml'), CONFIGMAP);
  writeFileSync(join(tmp, 'strict.yaml'), 'unknownNodeWrites: deny\n');
});

const findingsOf = (stdout: string) =>
  (JSON.parse(stdout).findings as { rule: string; severity: string; path: string }[])
    .filter((f) => f.rule === 'port-range-overlaps-nodeports')
    .map((f) => `${f.severity} ${f.path}`)
    .sort();

describe('check with ConfigMaps', () => {
  it.each([
    ['in the same file', ['with-configmap.yaml']],
    ['in another file of the same run', ['daemonset.yaml', 'configmap.yaml']],
  ])('a ConfigMap %s resolves the env name and the mounted script: denied', async (_n, files) => {
    const res = await checkInProcess({ paths: files, output: 'json' }, { cwd: tmp });
    expect(res.code).toBe(1);
    expect(findingsOf(res.stdout)).toEqual([
      'deny spec.template.spec.initContainers[0].command',
      'deny spec.template.spec.initContainers[1].command',
    ]);
  });

  it('without the ConfigMap both are unknown: warnings, exit 0', async () => {
    const res = await checkInProcess({ paths: ['daemonset.yaml'], output: 'json' }, { cwd: tmp });
    expect(res.code).toBe(0);
    expect(findingsOf(res.stdout)).toEqual([
      'warn spec.template.spec.initContainers[0].command',
      'warn spec.template.spec.initContainers[1].command',
    ]);
  });

  it('without the ConfigMap and with unknownNodeWrites: deny, they deny', async () => {
    const res = await checkInProcess(
      { paths: ['daemonset.yaml'], config: 'strict.yaml', output: 'json' },
      { cwd: tmp },
    );
    expect(res.code).toBe(1);
    expect(findingsOf(res.stdout)).toEqual([
      'deny spec.template.spec.initContainers[0].command',
      'deny spec.template.spec.initContainers[1].command',
    ]);
  });
});
