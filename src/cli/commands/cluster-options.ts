/** The flags that say which cluster, and where in it the node data lives, for the commands that read it once. */
import type { Command } from 'commander';
import { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE } from '../../kube/defaults.js';

/** `--kubeconfig`, `--context`, `--namespace`, `--configmap`; `verb` says what the command does with the cluster. */
export function clusterOptions(command: Command, verb: 'scan' | 'read'): Command {
  return command
    .option('--kubeconfig <file>', `cluster to ${verb} (default: KUBECONFIG, ~/.kube/config or in-cluster)`)
    .option('--context <name>', "kubeconfig context to use instead of the file's current one")
    .option(
      '--namespace <ns>',
      "namespace of the ranges ConfigMap and the nodes' report objects",
      DEFAULT_NAMESPACE,
    )
    .option('--configmap <name>', 'name of the ranges ConfigMap', DEFAULT_CONFIGMAP);
}
