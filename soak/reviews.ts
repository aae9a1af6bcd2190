/**
 * The soak's request mix: AdmissionReviews for Services (allowed and denied), a
 * hostNetwork Pod with an init script, a Deployment and an UPDATE with oldObject, for
 * both /validate and /mutate. Each request gets a fresh uid so a mixed-up answer is seen.
 */
import { randomUUID } from 'node:crypto';

// biome-ignore lint/suspicious/noExplicitAny: AdmissionReview bodies are free-form JSON.
type Json = any;

function envelope(kind: string, group: string, object: Json, oldObject: Json = null): Json {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '',
      kind: { group, version: 'v1', kind },
      resource: { group, version: 'v1', resource: `${kind.toLowerCase()}s` },
      name: object.metadata.name,
      namespace: 'soak',
      operation: oldObject ? 'UPDATE' : 'CREATE',
      userInfo: { username: 'soak' },
      object,
      oldObject,
      dryRun: false,
    },
  };
}

const service = (name: string, nodePort?: number): Json => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'soak' },
  spec: {
    type: 'NodePort',
    selector: { app: name },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 8080, ...(nodePort ? { nodePort } : {}) }],
  },
});

const podSpec = (script: string): Json => ({
  hostNetwork: true,
  initContainers: [
    {
      name: 'tune',
      image: 'busybox:1.36',
      securityContext: { privileged: true },
      env: [
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      ],
      command: ['/bin/sh', '-c', script],
    },
  ],
  containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 9100 }] }],
});

const SCRIPT = [
  'set -e',
  'sysctl -w net.core.somaxconn=65535',
  'if [ "$POD_IP" != "$HOST_IP" ]; then',
  '  sysctl -w net.ipv4.ip_local_port_range="1024 65535"',
  'fi',
  'echo done',
].join('\n');

/** One request of the mix: which endpoint and the body (uid filled in by `withUid`). */
export interface SoakRequest {
  name: string;
  path: '/validate' | '/mutate';
  body: Json;
}

export function requestMix(): SoakRequest[] {
  const reviews: [string, Json][] = [
    ['service-in-range', envelope('Service', '', service('web', 32582))],
    ['service-static-band', envelope('Service', '', service('api', 30050))],
    ['service-unset', envelope('Service', '', service('auto'))],
    [
      'pod-script',
      envelope('Pod', '', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'tuner', namespace: 'soak' },
        spec: podSpec(SCRIPT),
      }),
    ],
    [
      'deployment',
      envelope('Deployment', 'apps', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: 'soak' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: { metadata: { labels: { a: 'b' } }, spec: podSpec(SCRIPT) },
        },
      }),
    ],
    ['service-update', envelope('Service', '', service('web', 30060), service('web', 32582))],
  ];
  return reviews.flatMap(([name, body]) => [
    { name, path: '/validate' as const, body },
    { name, path: '/mutate' as const, body },
  ]);
}

/** The body as text with a fresh uid; returns the uid so the answer can be checked. */
export function withUid(req: SoakRequest): { uid: string; text: string } {
  const uid = randomUUID();
  return { uid, text: JSON.stringify({ ...req.body, request: { ...req.body.request, uid } }) };
}
