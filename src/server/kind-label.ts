/**
 * The `kind` label of the admission metrics. A label value is a new time series for as
 * long as the process lives, and `request.kind.kind` is whatever the caller sent: 200
 * reviews with 10 KB kinds grew /metrics to 27 MiB, and an 8 MiB kind crashed the
 * process on its second scrape. So only kinds from a fixed set become labels.
 */

/** Kinds the webhooks are registered for (manifests/base/webhooks.yaml), plus their relatives. */
const KNOWN_KINDS: ReadonlySet<string> = new Set([
  'Service',
  'Pod',
  'PodTemplate',
  'ReplicationController',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Namespace',
  'ConfigMap',
  'EphemeralContainers',
]);

/** `kind` when it is a known kind, else `other`. */
export function kindLabel(kind: string): string {
  return KNOWN_KINDS.has(kind) ? kind : 'other';
}
