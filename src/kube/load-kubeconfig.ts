/**
 * Every way portguard gets a KubeConfig. `loadKubeConfig` turns a `--kubeconfig` flag into
 * one: `in-cluster` uses the pod's service account, a path loads that file, and no value
 * follows the default loading rules (KUBECONFIG, ~/.kube/config, then in-cluster).
 * `--context` picks a context other than the file's current one. `kubeConfigForServer`
 * points at one apiserver URL with no credentials (benchmarks and test apiservers).
 */
import { IN_CLUSTER } from './defaults.js';
import { KubeConfig } from './k8s.js';

export { IN_CLUSTER };

export function loadKubeConfig(flag: string | undefined, context?: string): KubeConfig {
  const kc = new KubeConfig();
  if (flag === IN_CLUSTER) kc.loadFromCluster();
  else if (flag) kc.loadFromFile(flag);
  else kc.loadFromDefault();
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      throw new Error(`no context "${context}" in kubeconfig ${flag ?? '(default)'}`);
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new Error(`no cluster in kubeconfig ${flag ?? '(default)'}`);
  return kc;
}

/** A KubeConfig for `server` with an anonymous user; TLS is not verified (self-signed fakes). */
export function kubeConfigForServer(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'server', server, skipTLSVerify: true }],
    users: [{ name: 'anonymous' }],
    contexts: [{ name: 'server', cluster: 'server', user: 'anonymous' }],
    currentContext: 'server',
  });
  return kc;
}
