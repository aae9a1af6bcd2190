/**
 * Issue 9: a pod whose node selector matches no current node (a pool scaled to zero or
 * not joined yet) is scheduled later without another admission, so the webhook judges it
 * on the `default` profile instead of against no node at all.
 */
import { describe, expect, it } from 'vitest';
import { type Json, loadFixture, post, stateWith, testApp } from './helpers.js';

/** A hostNetwork pod whose init container writes ip_local_port_range="1024 65535" on the node. */
const widening = loadFixture('validate-create-pod-hostnetwork-init-sysctl');

function placed(spec: object): Json {
  const review = structuredClone(widening);
  Object.assign(review.request.object.spec, spec);
  return review;
}

/** One live node, in pool general, that already reserves the NodePort range. */
const state = () =>
  stateWith({
    'worker-1': '{"ipLocalReservedPorts": "30000-32767", "labels": {"pool": "general"}}',
  });

describe('a pod no current node can take', () => {
  it.each([
    [
      'a nodeSelector',
      { nodeSelector: { pool: 'gpu' } },
      'no current node matches its node selector/affinity',
    ],
    [
      'a required node affinity',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }] }],
            },
          },
        },
      },
      'no current node matches its node selector/affinity',
    ],
    ['a nodeName', { nodeName: 'worker-9' }, 'its nodeName names no current node'],
  ])('with %s is judged on the default profile and denied', async (_name, spec, why) => {
    const t = await testApp({ state: state() });
    const { body } = await post(t.app, '/validate', placed(spec));
    await t.app.close();
    expect(body.response.allowed).toBe(false);
    const message = body.response.status.message as string;
    expect(message).toContain('port-range-overlaps-nodeports');
    expect(message).toContain(`on the node (hostNetwork script) on nodes on the default profile (${why})`);
  });

  it('on a node that reserves the overlap is allowed: the default profile is what denies the other', async () => {
    const t = await testApp({ state: state() });
    const { body } = await post(t.app, '/validate', placed({ nodeSelector: { pool: 'general' } }));
    await t.app.close();
    expect(body.response.allowed).toBe(true);
  });
});
