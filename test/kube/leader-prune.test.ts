/**
 * When the leader prunes: on start once the node list is complete, a moment after a node
 * disappears (bursts coalesced), periodically, never two prunes at once, and never after
 * stop. The prune itself is injected here; leader-election.test.ts covers what it removes.
 *
 * On vitest's fake timers: the debounce, the interval and the injected prunes' own delays
 * advance only when a test says so, so "nothing more ran" is checked after a known span of
 * the schedule rather than after a sleep.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeConfig } from '../../src/kube/k8s.js';
import {
  type NodeKeyPruning,
  type NodeNames,
  type PruneOptions,
  type PruneResult,
  startNodeKeyPruning,
} from '../../src/kube/prune-stale-node-keys.js';
import { recordingLogger } from '../support/list-watch-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Runs the schedule's timers (and the promises they settle) for `ms` of fake time. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
/** Far beyond every debounce and prune delay below, and far below the default interval. */
const QUIET = 1_000;

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
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  const stopping = pruning?.stop();
  await vi.runAllTimersAsync();
  await stopping;
  pruning = undefined;
  vi.useRealTimers();
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
    await advance(0);
    expect(calls).toEqual([['a', 'b']]);
    await advance(QUIET);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('waits for the node list to be complete before the first prune', async () => {
    const state = fakeState(undefined);
    const { calls } = start(state);
    await advance(QUIET);
    expect(calls).toEqual([]);
    state.set(['a']);
    await advance(0);
    expect(calls).toEqual([['a']]);
  });

  it.each([
    ['a node is deleted', ['a'], 1],
    ['a node is added', ['a', 'b', 'c'], 0],
    ['labels change (new map, same names)', ['a', 'b'], 0],
  ])('after %s: %i more prune(s)', async (_what, next, expected) => {
    const state = fakeState(['a', 'b']);
    const { calls } = start(state);
    await advance(0);
    expect(calls).toHaveLength(1);
    state.set(next);
    await advance(QUIET);
    expect(calls.length - 1).toBe(expected);
    if (expected) expect(calls.at(-1)).toEqual(next);
  });

  it('ignores changes that leave the node map alone (pod and Service events)', async () => {
    const state = fakeState(['a', 'b']);
    const { calls } = start(state);
    await advance(0);
    expect(calls).toHaveLength(1);
    for (let i = 0; i < 100; i++) state.touch();
    await advance(QUIET);
    expect(calls).toHaveLength(1);
  });

  it('coalesces a burst of deletions into one prune', async () => {
    const state = fakeState(['a', 'b', 'c', 'd']);
    const { calls } = start(state, { debounceMs: 40 });
    await advance(0);
    expect(calls).toHaveLength(1);
    state.set(['a', 'b', 'c']);
    await advance(20);
    state.set(['a', 'b']);
    await advance(20);
    state.set(['a']);
    // Each deletion restarted the debounce: nothing yet 39 ms after the last one.
    await advance(39);
    expect(calls).toHaveLength(1);
    await advance(QUIET);
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
    await advance(10);
    expect(active).toBe(1); // the first prune is running
    state.set(['a']);
    state.touch();
    await advance(QUIET);
    expect(calls).toHaveLength(2);
    expect(active).toBe(0);
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
    await advance(100);
    expect(n).toBeGreaterThanOrEqual(3);
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
    await advance(10);
    expect(calls).toBe(1);
    let finishedWhenStopped: number | undefined;
    const stopping = pruning!.stop().then(() => {
      finishedWhenStopped = finished;
    });
    await advance(QUIET);
    await stopping;
    expect(finishedWhenStopped).toBe(1);
    expect(state.listeners.size).toBe(0);
    state.set(['a']);
    await advance(QUIET);
    expect(calls).toBe(1);
  });
});
