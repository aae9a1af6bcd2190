/**
 * When the leader prunes: on start once the node list is complete, a moment after a node
 * disappears (bursts coalesced), periodically, never two prunes at once, and never after
 * stop. The prune itself is injected here; leader-election.test.ts covers what it removes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeConfig } from '../../src/kube/k8s.js';
import {
  type NodeKeyPruning,
  type NodeNames,
  type PruneOptions,
  type PruneResult,
  startNodeKeyPruning,
} from '../../src/kube/prune-stale-node-keys.js';
import { recordingLogger, waitFor } from '../support/list-watch-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stand-in for the cluster state: the current node map and change listeners. */
function fakeState(initial: string[] | undefined) {
  let nodes: NodeNames | undefined = initial && new Map(initial.map((n) => [n, {}]));
  const listeners = new Set<() => void>();
  return {
    liveNodes: () => nodes,
    onChange: (cb: () => void) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    /** Replaces the node list (undefined = incomplete) and notifies, like a rebuilt state. */
    set(names: string[] | undefined) {
      nodes = names && new Map(names.map((n) => [n, {}]));
      for (const cb of listeners) cb();
    },
    /** A change that leaves the node map alone (a pod or Service event). */
    touch() {
      for (const cb of listeners) cb();
    },
    listeners,
  };
}

let pruning: NodeKeyPruning | undefined;
afterEach(async () => {
  await pruning?.stop();
  pruning = undefined;
});

function start(
  state: ReturnType<typeof fakeState>,
  opts: { intervalMs?: number; debounceMs?: number; prune?: (o: PruneOptions) => Promise<PruneResult> } = {},
) {
  const calls: string[][] = [];
  const logger = recordingLogger();
  pruning = startNodeKeyPruning({
    kubeConfig: {} as KubeConfig,
    namespace: 'portguard-system',
    configMapName: 'portguard-node-ranges',
    logger,
    liveNodes: state.liveNodes,
    onChange: state.onChange,
    intervalMs: opts.intervalMs ?? 3_600_000,
    debounceMs: opts.debounceMs ?? 20,
    prune:
      opts.prune ??
      (async (o) => {
        calls.push([...o.liveNodes].sort());
        return { keys: [], reports: [] };
      }),
  });
  return { calls, logger };
}

describe('startNodeKeyPruning', () => {
  it('prunes once on start with the complete node list', async () => {
    const { calls } = start(fakeState(['a', 'b']));
    await waitFor(() => calls.length === 1, 2000, 'first prune');
    await sleep(50);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('waits for the node list to be complete before the first prune', async () => {
    const state = fakeState(undefined);
    const { calls } = start(state);
    await sleep(50);
    expect(calls).toEqual([]);
    state.set(['a']);
    await waitFor(() => calls.length === 1, 2000, 'prune after sync');
    expect(calls).toEqual([['a']]);
  });

  it.each([
    ['a node is deleted', ['a'], 1],
    ['a node is added', ['a', 'b', 'c'], 0],
    ['labels change (new map, same names)', ['a', 'b'], 0],
  ])('after %s: %i more prune(s)', async (_what, next, expected) => {
    const state = fakeState(['a', 'b']);
    const { calls } = start(state);
    await waitFor(() => calls.length === 1, 2000, 'first prune');
    state.set(next);
    await sleep(100);
    expect(calls.length - 1).toBe(expected);
    if (expected) expect(calls.at(-1)).toEqual(next);
  });

  it('ignores changes that leave the node map alone (pod and Service events)', async () => {
    const state = fakeState(['a', 'b']);
    const { calls } = start(state);
    await waitFor(() => calls.length === 1, 2000, 'first prune');
    for (let i = 0; i < 100; i++) state.touch();
    await sleep(60);
    expect(calls).toHaveLength(1);
  });

  it('coalesces a burst of deletions into one prune', async () => {
    const state = fakeState(['a', 'b', 'c', 'd']);
    const { calls } = start(state, { debounceMs: 40 });
    await waitFor(() => calls.length === 1, 2000, 'first prune');
    state.set(['a', 'b', 'c']);
    state.set(['a', 'b']);
    state.set(['a']);
    await sleep(150);
    expect(calls).toEqual([['a', 'b', 'c', 'd'], ['a']]);
  });

  it('never runs two prunes at once; a trigger during a prune runs one more after it', async () => {
    const state = fakeState(['a', 'b']);
    let active = 0;
    let maxActive = 0;
    const calls: string[][] = [];
    start(state, {
      debounceMs: 1,
      prune: async (o) => {
        active++;
        maxActive = Math.max(maxActive, active);
        calls.push([...o.liveNodes]);
        await sleep(60);
        active--;
        return { keys: [], reports: [] };
      },
    });
    await sleep(10); // the first prune is running
    state.set(['a']);
    state.touch();
    await waitFor(() => calls.length === 2 && active === 0, 2000, 'second prune');
    expect(maxActive).toBe(1);
    expect(calls[1]).toEqual(['a']);
  });

  it('prunes every interval, and a failed prune is logged and retried', async () => {
    let n = 0;
    const { logger } = start(fakeState(['a']), {
      intervalMs: 30,
      prune: async () => {
        n++;
        if (n === 1) throw new Error('HTTP 503');
        return { keys: [], reports: [] };
      },
    });
    await waitFor(() => n >= 3, 2000, 'periodic prunes');
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.msg)).toEqual([
      'pruning stale node keys failed; will retry',
    ]);
  });

  it('stop waits for a prune in progress and then nothing runs', async () => {
    const state = fakeState(['a', 'b']);
    let finished = 0;
    let calls = 0;
    start(state, {
      intervalMs: 20,
      debounceMs: 1,
      prune: async () => {
        calls++;
        await sleep(50);
        finished++;
        return { keys: [], reports: [] };
      },
    });
    await sleep(10);
    await pruning!.stop();
    expect(finished).toBe(1);
    expect(state.listeners.size).toBe(0);
    state.set(['a']);
    await sleep(80);
    expect(calls).toBe(1);
  });
});
