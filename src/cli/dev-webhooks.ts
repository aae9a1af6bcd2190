/**
 * The two webhook configurations `portguard dev` registers: URL-based (the apiserver
 * calls the developer's machine directly, as in Pepr's `pepr dev`) with the dev CA as
 * caBundle. Pure, so the objects can be tested without a cluster. They mirror
 * manifests/base/webhooks.yaml except for two deliberate differences: both fail open
 * (a laptop that sleeps must not block a shared cluster) and there are no
 * matchConditions (dev should see every request, and older clusters reject the field).
 */

export const DEV_WEBHOOK_NAME = 'portguard-dev';

export interface DevWebhookOptions {
  /** Host (IP or DNS name) the apiserver can reach; it must be in the serving certificate. */
  host: string;
  port: number;
  /** Base64 of the CA certificate PEM. */
  caBundle: string;
  name?: string;
}

const EXCLUDED_NAMESPACES = ['portguard-system', 'kube-system'];

/** `extraCore`: pods/ephemeralcontainers for validation only (see manifests/base/webhooks.yaml). */
const rules = (extraCore: string[] = []) =>
  [
    {
      apiGroups: [''],
      apiVersions: ['v1'],
      resources: ['services', 'pods', 'replicationcontrollers', ...extraCore],
    },
    {
      apiGroups: ['apps'],
      apiVersions: ['v1'],
      resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
    },
    { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
  ].map((r) => ({ ...r, operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }));

/** `https://host:port/path`, with IPv6 literals bracketed. */
export function webhookUrl(host: string, port: number, path: string): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `https://${h}:${port}${path}`;
}

function webhook(name: string, url: string, caBundle: string, extraCore?: string[]) {
  return {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    matchPolicy: 'Equivalent',
    timeoutSeconds: 5,
    failurePolicy: 'Ignore',
    clientConfig: { url, caBundle },
    namespaceSelector: {
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: EXCLUDED_NAMESPACES },
      ],
    },
    rules: rules(extraCore),
  };
}

/** The Validating and Mutating configurations, both named `portguard-dev` by default. */
export function buildDevWebhooks(opts: DevWebhookOptions) {
  const name = opts.name ?? DEV_WEBHOOK_NAME;
  const metadata = {
    name,
    labels: { 'app.kubernetes.io/name': 'portguard', 'app.kubernetes.io/component': 'dev-webhook' },
  };
  return {
    validating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata,
      webhooks: [
        webhook('validate.dev.portguard.io', webhookUrl(opts.host, opts.port, '/validate'), opts.caBundle, [
          'pods/ephemeralcontainers',
        ]),
      ],
    },
    mutating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata,
      webhooks: [
        {
          ...webhook('mutate.dev.portguard.io', webhookUrl(opts.host, opts.port, '/mutate'), opts.caBundle),
          reinvocationPolicy: 'IfNeeded',
        },
      ],
    },
  };
}
