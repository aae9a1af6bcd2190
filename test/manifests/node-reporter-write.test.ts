/**
 * The reporter's real write, judged by the shipped node reporter policy: a reporter must
 * never be refused for what it does, and the policy must hold if one is pointed at another
 * node's key. The reporter patches a fake apiserver; the ConfigMap before and after that
 * patch becomes the UPDATE the apiserver would hand the policy, sent as the reporter's
 * ServiceAccount with a token bound to its pod on worker-1 (as in the v1.32 fixture).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeReporter } from '../../src/reporter/node-reporter.js';
import { type ListWatchServer, recordingLogger, startListWatchServer } from '../support/list-watch-server.js';
import { judge } from './admission-policy.js';
import { find, kustomize, MANIFESTS } from './kustomize.js';

const NS = 'portguard-system';
const CM = 'portguard-node-ranges';
const PROC = fileURLToPath(new URL('../reporter/fixtures/', import.meta.url));
const policy = find(
  kustomize(join(MANIFESTS, 'base')),
  'ValidatingAdmissionPolicy',
  'portguard-node-reporter-own-key',
);
const captured = JSON.parse(
  readFileSync(
    resolve(MANIFESTS, '../../shared/fixtures/admission/validate-update-configmap-ranges-own-node-key.json'),
    'utf8',
  ),
).request;

describe('the reporter on worker-1 writes through the policy', () => {
  let server: ListWatchServer;

  beforeEach(async () => {
    const { metadata, data } = captured.oldObject;
    server = await startListWatchServer({
      seed: {
        nodes: ['worker-1', 'worker-2'].map((name) => ({ metadata: { name, labels: { pool: 'general' } } })),
        configmaps: [
          {
            metadata: {
              name: metadata.name,
              namespace: metadata.namespace,
              annotations: metadata.annotations,
            },
            data,
          },
        ],
      },
    });
  });
  afterEach(() => server.close());

  /** One report by a reporter that believes it runs on `nodeName`, as the apiserver's UPDATE. */
  async function reportAs(nodeName: string, proc: string) {
    const reporter = createNodeReporter({
      kubeConfig: server.kubeConfig(),
      nodeName,
      namespace: NS,
      configMapName: CM,
      procRoot: join(PROC, proc),
      logger: recordingLogger(),
    });
    const oldObject = structuredClone(server.get('configmaps', CM, NS));
    expect((await reporter.report()).written).toBe(true);
    const object = server.get('configmaps', CM, NS);
    return judge(policy, { ...captured, oldObject, object });
  }

  it.each(['proc-default', 'proc-widened'])('its own key from %s: allowed', async (proc) => {
    expect(await reportAs('worker-1', proc)).toEqual({ matched: true, allowed: true, messages: [] });
  });

  it('told it runs on worker-2: denied, naming node.worker-2', async () => {
    const outcome = await reportAs('worker-2', 'proc-widened');
    expect(outcome).toMatchObject({ matched: true, allowed: false });
    expect(outcome.matched && outcome.messages.join('\n')).toContain('not node.worker-2');
  });
});
