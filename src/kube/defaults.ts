/**
 * Where the node data lives unless a flag says otherwise, and the `--kubeconfig` value that
 * means the pod's service account. This module imports nothing, so the CLI shows these
 * defaults in its help without loading the Kubernetes client.
 */
export const DEFAULT_NAMESPACE = 'portguard-system';
export const DEFAULT_CONFIGMAP = 'portguard-node-ranges';
export const IN_CLUSTER = 'in-cluster';
