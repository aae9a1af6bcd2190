import { beforeAll, describe, expect, it } from 'vitest';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import { describeNodes, MAX_NODES_LISTED } from '../../src/core/rule-context.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { allNodesOf, findingsOf, largeState } from '../core/rule-context.large-cluster.js';

let reviewer: Reviewer;
beforeAll(async () => {
  reviewer = createReviewer({ scripts: await createScriptAnalyzer() });
});

function hostPod(port: number, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'agent', namespace: 'ops' },
    spec: {
      hostNetwork: true,
      ...spec,
      containers: [{ name: 'a', image: 'a:1', ports: [{ containerPort: port }] }],
    },
  };
}

describe('hostnetwork-port-in-ephemeral-range on large clusters', () => {
  // Port 25000: inside the ranges of profiles 0-2 (not 3) and not reserved anywhere.
  // Port 40000: inside every range, so the default nodes ('*') are listed too.
  // Port 31000: reserved on profile 1, so its nodes drop out of the middle of the list.
  it.each([
    [5000, 25000],
    [5000, 40000],
    [5000, 31000],
    [40, 25000],
    [3, 40000],
    [1, 25000],
  ])('%d nodes, port %d: first names listed, all counted, same message', (count, port) => {
    const state = largeState(count);
    const pod = hostPod(port);
    const all = allNodesOf(pod, state, (g) => g.profile.unreserved.has(port));
    const [f, ...rest] = findingsOf(reviewer, pod, state, 'hostnetwork-port-in-ephemeral-range');
    expect(rest).toEqual([]);
    expect(f).toBeDefined();
    expect(f!.nodes).toEqual(all.slice(0, MAX_NODES_LISTED));
    expect(f!.nodeCount).toBe(all.length);
    expect(f!.message).toContain(` of ${describeNodes(all)}; an outgoing connection`);
  });

  it('names the counts in the message of a 5,000-node cluster', () => {
    const state = largeState(5000);
    const [f] = findingsOf(reviewer, hostPod(25000), state, 'hostnetwork-port-in-ephemeral-range');
    // 1,250 nodes per profile, three profiles in range; the default range starts above the port.
    expect(f!.nodeCount).toBe(3750);
    expect(f!.nodes).toHaveLength(MAX_NODES_LISTED);
    expect(f!.message).toContain('of w-0, w-4, w-8 and 3747 more;');
  });

  it('lists only the placed nodes', () => {
    const state = largeState(5000);
    const [f] = findingsOf(
      reviewer,
      hostPod(25000, { nodeName: 'w-2' }),
      state,
      'hostnetwork-port-in-ephemeral-range',
    );
    expect(f!.nodes).toEqual(['w-2']);
    expect(f!.nodeCount).toBe(1);
  });
});
