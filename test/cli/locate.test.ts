/** Findings located at the key their path names, in the text they were read from. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locate } from '../../src/cli/locate.js';
import { parseManifests } from '../../src/cli/manifest-loader.js';

/** The first (or n-th) object of `text`, as the loader gives it. */
const load = (text: string, n = 0) => parseManifests(text, 'f.yaml')[n]!;

const SERVICE = `# leading comment
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  type: NodePort
  ports:
    - name: http
      port: 80
      nodePort: 32582
    - {name: https, port: 443, nodePort: 32583}
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  labels:
    portguard.io/mode: warn
spec:
  template:
    spec:
      hostNetwork: true
      initContainers:
      - name: tune
        image: busybox
        command: [sh, -c]
        args:
        - |
          echo start
          sysctl -w net.ipv4.ip_local_port_range="1024 65535"
      - name: exec
        image: busybox
        command: ["sysctl", "-w", "net.ipv4.tcp_tw_recycle=1"]
      containers:
      - name: a
        image: x
      - name: b
        image: x
        ports:
        - containerPort: 8080
          hostPort: 31000
`;

describe('locate', () => {
  it.each([
    ['a block sequence item key', SERVICE, 'spec.ports[0].nodePort', { line: 10, column: 7 }],
    ['a key in a flow mapping', SERVICE, 'spec.ports[1].nodePort', { line: 11, column: 32 }],
    ['a sequence item', SERVICE, 'spec.ports[1]', { line: 11, column: 7 }],
    [
      'a workload pod path',
      DEPLOYMENT,
      'spec.template.spec.containers[1].ports[0].hostPort',
      { line: 29, column: 11 },
    ],
    ['a key with dots', DEPLOYMENT, 'metadata.labels.portguard.io/mode', { line: 6, column: 5 }],
    [
      'a key the object lacks: the deepest node found',
      SERVICE,
      'spec.ports[0].hostPort',
      { line: 8, column: 7 },
    ],
    ['an empty path: the object', SERVICE, '', { line: 2, column: 1 }],
  ])('%s', (_n, text, path, at) => {
    expect(locate(load(text), path)).toEqual(at);
  });

  it('points a script finding at its line in a literal block scalar', () => {
    const path = 'spec.template.spec.initContainers[0].command';
    expect(locate(load(DEPLOYMENT), path, 2)).toEqual({ line: 18, column: 11 });
    // Past the script's end (a line in a file the script sourced): the key.
    expect(locate(load(DEPLOYMENT), path, 9)).toEqual({ line: 14, column: 9 });
    // Without a script line: the key.
    expect(locate(load(DEPLOYMENT), path)).toEqual({ line: 14, column: 9 });
  });

  it('points an exec-form command at its key', () => {
    expect(locate(load(DEPLOYMENT), 'spec.template.spec.initContainers[1].command', 1)).toEqual({
      line: 21,
      column: 9,
    });
  });

  it('points at the one-line script of sh -c', () => {
    const pod = 'kind: Pod\nspec:\n  containers:\n  - command: [sh, -c, "sysctl -w a=b"]\n';
    expect(locate(load(pod), 'spec.containers[0].command', 1)).toEqual({ line: 4, column: 23 });
  });

  it('locates inside List items and later documents', () => {
    const text = `---\nkind: Namespace\n---\nkind: List\nitems:\n- kind: ConfigMap\n- ${SERVICE.split('\n').slice(1).join('\n  ')}`;
    const svc = parseManifests(text, 'f.yaml').find((o) => o.object.kind === 'Service')!;
    expect(svc.at).toBe('items[1]');
    expect(locate(svc, 'spec.ports[0].nodePort')).toEqual({ line: 15, column: 9 });
  });

  it('goes through aliases to the anchored node', () => {
    const text = 'kind: Service\nx: &ports\n  - nodePort: 30001\nspec:\n  ports: *ports\n';
    expect(locate(load(text), 'spec.ports[0].nodePort')).toEqual({ line: 3, column: 5 });
  });

  it('keeps the columns of the file on lines yaml-compat padded', () => {
    const text = "kind: Pod\nmetadata:\n  annotations: {a: 'x\ny', b: '2'}\n";
    expect(locate(load(text), 'metadata.annotations.b')).toEqual({ line: 4, column: 5 });
    const fixture = readFileSync(join(import.meta.dirname, 'fixtures', 'es-init-annotation.yaml'), 'utf8');
    expect(locate(load(fixture), 'spec.template.spec.containers[0].ports[1].containerPort')).toEqual({
      line: 33,
      column: 11,
    });
  });

  it('falls back to the object line without a source', () => {
    expect(locate({ object: {}, file: 'x', line: 7 }, 'spec.ports[0].nodePort')).toEqual({ line: 7 });
  });
});
