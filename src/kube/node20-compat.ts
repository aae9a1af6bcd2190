/**
 * Lets @kubernetes/client-node 2.x load on Node 20.
 *
 * client-node 2.x bundles undici 8, which declares Node >= 22.19 and, at module load or
 * on the first fetch, uses three things Node 20 lacks: `zlib.createZstdDecompress`,
 * `worker_threads.markAsUncloneable` and `Promise.withResolvers`. Without them importing
 * client-node throws before any code runs. This module fills exactly those gaps, and only
 * where they are missing, so it is a no-op on Node 22+. It must be evaluated before
 * client-node is first imported: import client-node values through `./k8s.js`, which
 * imports this module first.
 *
 * The stand-ins are safe for how client-node talks to an apiserver: nothing asks for
 * zstd (a zstd-encoded response would fail loudly rather than be misread), and
 * `markAsUncloneable` only guards structuredClone of undici's own objects.
 */

import workerThreads from 'node:worker_threads';
import zlib from 'node:zlib';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const z = zlib as unknown as Mutable<Record<string, unknown>>;
if (typeof z['createZstdDecompress'] !== 'function') {
  z['createZstdDecompress'] = () => {
    throw new Error('zstd content-encoding is not supported on this Node.js version');
  };
}

const wt = workerThreads as unknown as Mutable<Record<string, unknown>>;
if (typeof wt['markAsUncloneable'] !== 'function') wt['markAsUncloneable'] = () => {};

interface WithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
}
const P = Promise as unknown as WithResolvers;
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
