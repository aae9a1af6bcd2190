/**
 * The reporter's real writes, judged by the shipped node reporter policy: a reporter must
 * never be refused for what it does, and the policy must hold if one is pointed at another
 * node. The reporter writes to a list/watch test server; each object it leaves there becomes
 * the CREATE or UPDATE the apiserver would hand the policy, sent as the reporter's
 * ServiceAccount with a token bound to its pod on worker-1 (the userInfo of the v1.32 fixture).
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
    server = await startListWatchServer({
      seed: {
        nodes: ['worker-1', 'worker-2'].map((name) => ({ metadata: { name, labels: { pool: 'general' } } })),
        configmaps: [{ metadata: { name: CM, namespace: NS }, data: { nodePortRange: '30000-32767' } }],
      },
    });
  });
  afterEach(() => server.close());

  /**
   * One report by a reporter that believes it runs on `nodeName`, as the requests the
   * apiserver would hand the policy: a CREATE the first time, an UPDATE after that.
   */
  async function reportAs(nodeName: string, proc: string) {
    const reporter = createNodeReporter({
      kubeConfig: server.kubeConfig(),
      nodeName,
      namespace: NS,
      configMapName: CM,
      procRoot: join(PROC, proc),
      nodePortRange: { lo: 30000, hi: 32767 },
      resyncMs: 0,
      logger: recordingLogger(),
    });
    const outcomes = [];
    for (let round = 0; round < 2; round++) {
      const { object: name } = await reporter.report();
      const object = server.get('configmaps', name, NS);
      const oldObject = round === 0 ? null : object;
      outcomes.push(
        judge(policy, { ...captured, operation: round === 0 ? 'CREATE' : 'UPDATE', name, oldObject, object }),
      );
    }
    return outcomes;
  }

  it.each(['proc-default', 'proc-widened'])(
    'its own report from %s, created then updated: allowed',
    async (proc) => {
      expect(await reportAs('worker-1', proc)).toEqual([
        { matched: true, allowed: true, messages: [] },
        { matched: true, allowed: true, messages: [] },
      ]);
    },
  );

  it('told it runs on worker-2: denied, naming the object it may write', async () => {
    const [outcome] = await reportAs('worker-2', 'proc-widened');
    expect(outcome).toMatchObject({ matched: true, allowed: false });
    expect(outcome?.matched && outcome.messages.join('\n')).toContain(
      'may write only its own report object portguard-node-ranges.worker-1, not ConfigMap portguard-node-ranges.worker-2',
    );
  });
});
