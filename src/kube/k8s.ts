/**
 * @kubernetes/client-node, re-exported: the one place src/ takes client-node values from
 * (KubeConfig, CoreV1Api, ListWatch, ...), so what the project uses of the package is easy
 * to find; `import type` from the package is fine.
 */
export * from '@kubernetes/client-node';
