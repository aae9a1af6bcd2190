/**
 * Turns a `--kubeconfig` flag into a KubeConfig: `in-cluster` uses the pod's service
 * account, a path loads that file, and no value follows the default loading rules
 * (KUBECONFIG, ~/.kube/config, then in-cluster).
 */
import { KubeConfig } from './k8s.js';

export const IN_CLUSTER = 'in-cluster';

export function loadKubeConfig(flag: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (flag === IN_CLUSTER) kc.loadFromCluster();
  else if (flag) kc.loadFromFile(flag);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error(`no cluster in kubeconfig ${flag ?? '(default)'}`);
  return kc;
}
