/**
 * @kubernetes/client-node, loaded after the Node 20 compatibility shims. Import client-node
 * values (KubeConfig, CoreV1Api, ListWatch, ...) from here, never from the package, so
 * the shims are in place before undici 8 loads; `import type` from the package is fine.
 */
import './node20-compat.js';

export * from '@kubernetes/client-node';
