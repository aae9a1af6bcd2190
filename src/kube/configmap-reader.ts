/**
 * One GET of a ConfigMap for the admission path, cut off after a short timeout. The
 * apiserver waits at most `timeoutSeconds` (5 s in our manifests) for the whole review, so
 * a slow read must end as "absent" well before that rather than fail the request. Never
 * rejects: every failure is an outcome the caller counts and logs.
 */
import { httpStatus } from './http-status.js';
import { CoreV1Api, type KubeConfig, Observable, type ObservableMiddleware } from './k8s.js';

export type ReadOutcome =
  | { outcome: 'found'; data: Record<string, string> }
  | { outcome: 'not_found' }
  /** `status` is the HTTP code when the apiserver answered (403, 5xx), absent for a network error. */
  | { outcome: 'error'; status?: number; reason: string }
  | { outcome: 'timeout' };

export interface ConfigMapReader {
  read(namespace: string, name: string): Promise<ReadOutcome>;
}

/** ConfigMap `data` as strings only (binaryData never holds a script portguard could read). */
function stringData(data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof data !== 'object' || data === null) return out;
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  return out;
}

function classify(err: unknown): ReadOutcome {
  const status = httpStatus(err);
  if (status === 404) return { outcome: 'not_found' };
  if (status !== undefined) return { outcome: 'error', status, reason: `HTTP ${status}` };
  // The message of a network error can carry the URL but never ConfigMap data; the name is enough.
  return { outcome: 'error', reason: err instanceof Error ? err.name : typeof err };
}

export function createConfigMapReader(kubeConfig: KubeConfig, timeoutMs: number): ConfigMapReader {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async read(namespace, name) {
      const controller = new AbortController();
      // client-node 2.x takes an AbortSignal only on the request context, so a call-time
      // middleware puts it there; the default middleware (User-Agent) still runs first.
      const withSignal: ObservableMiddleware = {
        pre(ctx) {
          ctx.setSignal(controller.signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res) => new Observable(Promise.resolve(res)),
      };
      const request = api
        .readNamespacedConfigMap(
          { name, namespace },
          { middleware: [withSignal], middlewareMergeStrategy: 'append' },
        )
        .then(
          (cm): ReadOutcome => ({ outcome: 'found', data: stringData(cm.data) }),
          (err: unknown): ReadOutcome => (controller.signal.aborted ? { outcome: 'timeout' } : classify(err)),
        );
      // Raced as well as aborted: the answer must not depend on the transport honouring the signal.
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<ReadOutcome>((resolve) => {
        timer = setTimeout(() => {
          controller.abort();
          resolve({ outcome: 'timeout' });
        }, timeoutMs);
      });
      try {
        return await Promise.race([request, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
