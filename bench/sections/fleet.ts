/**
 * Section 6 (issue 14): node data at fleet scale, before (one ranges ConfigMap holding
 * every node's entry with a copy of its labels) and after (one report object per node).
 * For each fleet size, a reporter rollout in which every node writes once:
 *
 * 1. object sizes, bytes written to the apiserver, bytes stored across versions and watch
 *    bytes per replica, computed from the objects as the apiserver returns them
 *    (bench/fleet/objects.ts; the before figures are O(nodes²) and only computed);
 * 2. the after rollout measured: the fake apiserver (test/support), one replica's
 *    `startClusterStateSource` in a child process, and one real `createNodeReporter(...)
 *    .report()` per node reading a proc tree, 32 at a time; watch and request bytes as the
 *    server counted them, and the time until the replica serves every report. Above
 *    `--fleet-rollout-max` nodes the reporters' own CPU makes that too slow for a default
 *    run, so the server streams the same report objects as one burst of events instead;
 * 3. the replica's rebuild after a batch of report events (`NodeReports.nodes()` and
 *    `composeRanges` with every node live and reported), against the reload target, and
 *    the old design's cost of one ConfigMap event in the same rollout;
 * 4. the replica's RSS and live heap after a GC: with the old full ConfigMap, with the
 *    Nodes only, and after the rollout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EntryCache, formatNodeEntry, NODE_KEY_PREFIX } from '../../src/core/node-ranges.js';
import type { KubernetesObject } from '../../src/kube/k8s.js';
import { NodeReports } from '../../src/kube/node-reports.js';
import { applyConfigMap, composeRanges } from '../../src/kube/ranges-model.js';
import { createNodeReporter } from '../../src/reporter/node-reporter.js';
import { readNodeSockets } from '../../src/reporter/proc-net.js';
import { readNodeSysctls } from '../../src/reporter/read-proc.js';
import type { FleetApiserver, StartApiserver } from '../fleet/apiserver.js';
import { type FleetNode, generateFleet, HOST_VARIANTS, nodeObject } from '../fleet/nodes.js';
import {
  type AfterFigures,
  type BeforeFigures,
  FLEET_CONFIGMAP,
  FLEET_NAMESPACE,
  type FleetHeader,
  OBJECT_SIZE_BAR,
  oldEntry,
  reporterBodies,
  simulateAfter,
  simulateBefore,
} from '../fleet/objects.js';
import { procTreePath, writeProcTrees } from '../fleet/proc.js';
import { type MemoryReport, startSourceChild } from '../fleet/source-child.js';
import { MB, median, round } from '../stats.js';
import { PROFILES, SYNTHETIC_NODE_PORT_RANGE } from '../synthetic.js';

/** Reporters writing at once: a DaemonSet rollout is never all nodes in the same instant. */
const CONCURRENCY = 32;
/** Rebuild timings per size. */
const REBUILD_ROUNDS = 21;

export interface FleetRun {
  /**
   * `reporters`: one real `createNodeReporter(...).report()` per node, `concurrency` at a
   * time. `events`: for fleets above `--fleet-rollout-max`, the same report objects stored
   * by the server and streamed to the replica as ADDED events in one burst, without the
   * reporters (their HTTP and proc reading, not the replica, bound the real run's pace).
   */
  mode: 'reporters' | 'events';
  concurrency: number | null;
  /** From the first write until the last one returned (reporters) or was streamed (events). */
  writesMs: number;
  /** From the first write until the replica served every node's report. */
  convergedMs: number;
  /** After the last write, until the replica served it (the coalescing window plus a rebuild). */
  lagAfterLastWriteMs: number;
  /** Bytes of watch events the server wrote to the replica (only its report watch matches). */
  watchBytes: number;
  /** Request bodies the reporters sent (reporters only). */
  requestBytes: number | null;
  /** Rebuilds the replica announced (report events are coalesced per 250 ms). */
  rebuilds: number;
  /** The replica's event-loop delay meanwhile. */
  eldP99Ms: number;
  eldMaxMs: number;
  /** Every reporter wrote the entry the computed figures assume (reporters only). */
  entriesAsComputed: boolean | null;
}

/**
 * Memory of the replica process (only `startClusterStateSource`), after a GC. Live heap
 * is what the data costs; RSS also keeps the high-water mark of the start and of the
 * rollout, which V8 and the allocator do not give back to the OS.
 */
export interface FleetMemory {
  /** The replica holding the old full ConfigMap (every entry parsed) and the Nodes. */
  beforeRssMb: number;
  beforeHeapMb: number;
  /** Time for that replica to list everything and parse the ConfigMap until ready. */
  beforeReadyMs: number;
  /** The replica of the rollout, ready with the Nodes and no report yet. */
  nodesOnlyRssMb: number;
  nodesOnlyHeapMb: number;
  /** The same replica after the rollout, holding every report. */
  afterRssMb: number;
  afterHeapMb: number;
}

export interface FleetScale {
  nodes: number;
  labelsPerNode: number;
  /** Median old entry (with labels) and report entry, in bytes. */
  oldEntryBytes: number;
  reportEntryBytes: number;
  before: BeforeFigures;
  /** Computed with the apiserver's metadata (managedFields included). */
  after: AfterFigures;
  /** The after rollout, run for real, or why not. */
  measured: FleetRun | { skipped: string };
  rebuild: {
    /** `NodeReports.nodes()` + `composeRanges` after one changed report: one coalesced batch. */
    medianMs: number;
    maxMs: number;
    /** Before: one ConfigMap event with one changed entry (incremental parse + compose), per write. */
    beforePerWriteMs: number;
    /** Before: that cost times the nodes, the CPU one replica spent on a rollout. */
    beforeRolloutCpuS: number;
  };
  memory: FleetMemory | { skipped: string };
  /** before / after watch bytes per replica (after: computed, apiserver metadata included). */
  watchReduction: number;
}

export interface FleetResult {
  status: 'ok';
  scales: FleetScale[];
  objectSizeBarBytes: number;
  notes: string[];
}

const HEADER: FleetHeader = {
  nodePortRange: `${SYNTHETIC_NODE_PORT_RANGE.lo}-${SYNTHETIC_NODE_PORT_RANGE.hi}`,
  default: JSON.stringify({ ipLocalPortRange: '60000 65535' }),
};

interface TreeData {
  sysctls: { ipLocalPortRange: string; ipLocalReservedPorts: string };
  entry: string;
}

/** What the reporter reads and writes for each proc tree, through its own functions. */
async function readTrees(root: string): Promise<Map<string, TreeData>> {
  const out = new Map<string, TreeData>();
  for (const profile of PROFILES) {
    for (let v = 0; v < HOST_VARIANTS; v++) {
      const dir = procTreePath(root, profile, v);
      const sysctls = await readNodeSysctls(dir);
      const sockets = await readNodeSockets(dir, SYNTHETIC_NODE_PORT_RANGE);
      out.set(dir, { sysctls, entry: formatNodeEntry({ ...sysctls, ...sockets.evidence }) });
    }
  }
  return out;
}

function rangesConfigMap(data: Record<string, string>): Record<string, unknown> {
  return { metadata: { name: FLEET_CONFIGMAP, namespace: FLEET_NAMESPACE }, data };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

type Writes =
  | { mode: 'reporters'; trees: string[]; entries: string[] }
  | { mode: 'events'; objects: Record<string, unknown>[] };

/** The reporter's writes, `CONCURRENCY` at a time; false when an entry differs from `entries`. */
async function runReporters(
  server: FleetApiserver,
  fleet: FleetNode[],
  trees: string[],
  entries: string[],
): Promise<boolean> {
  const kubeConfig = server.kubeConfig();
  let next = 0;
  let asComputed = true;
  const worker = async () => {
    while (next < fleet.length) {
      const i = next++;
      const node = fleet[i]!;
      const outcome = await createNodeReporter({
        kubeConfig,
        nodeName: node.name,
        namespace: FLEET_NAMESPACE,
        configMapName: FLEET_CONFIGMAP,
        procRoot: trees[i]!,
        nodePortRange: SYNTHETIC_NODE_PORT_RANGE,
        resyncMs: 3_600_000,
        logger: silent,
      }).report();
      if (outcome.entry !== entries[i]) asComputed = false;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return asComputed;
}

/** Stores every object and streams its ADDED event, yielding now and then so the socket drains. */
async function streamEvents(server: FleetApiserver, objects: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < objects.length; i++) {
    server.emit('configmaps', 'ADDED', objects[i]!);
    if (i % 100 === 99) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** One replica, ready with the Nodes, then every node's report written; see `FleetRun`. */
async function measureRollout(opts: {
  startApiserver: StartApiserver;
  childScript: string;
  fleet: FleetNode[];
  writes: Writes;
  timeoutMs: number;
  log: (msg: string) => void;
}): Promise<{ run: FleetRun; nodesOnly: MemoryReport; after: MemoryReport }> {
  const { fleet, writes } = opts;
  const server = await opts.startApiserver({
    nodes: fleet.map(nodeObject),
    configmaps: [rangesConfigMap({ ...HEADER })],
  });
  try {
    const child = await startSourceChild(
      opts.childScript,
      { apiserverUrl: server.url, namespace: FLEET_NAMESPACE, configMapName: FLEET_CONFIGMAP },
      opts.timeoutMs,
    );
    try {
      if (child.ready.nodes !== fleet.length) throw new Error(`replica sees ${child.ready.nodes} nodes`);
      await child.mark();
      const w0 = server.watchBytes;
      const r0 = server.requestBytes;
      const t0 = performance.now();
      let asComputed: boolean | null = null;
      if (writes.mode === 'reporters')
        asComputed = await runReporters(server, fleet, writes.trees, writes.entries);
      else await streamEvents(server, writes.objects);
      const writesMs = performance.now() - t0;
      opts.log(
        `fleet: ${fleet.length} reports written in ${round(writesMs / 1000, 1)} s; waiting for the replica`,
      );
      let status = await child.status();
      while (status.nodesWithEvidence < fleet.length || status.reports < fleet.length) {
        if (performance.now() - t0 > opts.timeoutMs)
          throw new Error(`replica served ${status.nodesWithEvidence} of ${fleet.length} reports`);
        await sleep(10);
        status = await child.status();
      }
      const convergedMs = performance.now() - t0;
      const watchBytes = server.watchBytes - w0;
      const requestBytes = server.requestBytes - r0;
      return {
        run: {
          mode: writes.mode,
          concurrency: writes.mode === 'reporters' ? CONCURRENCY : null,
          writesMs: round(writesMs),
          convergedMs: round(convergedMs),
          lagAfterLastWriteMs: round(convergedMs - writesMs),
          watchBytes,
          requestBytes: writes.mode === 'reporters' ? requestBytes : null,
          rebuilds: status.changes,
          eldP99Ms: round(status.eldP99Ms),
          eldMaxMs: round(status.eldMaxMs),
          entriesAsComputed: asComputed,
        },
        nodesOnly: child.ready,
        after: await child.memory(true),
      };
    } finally {
      await child.stop();
    }
  } finally {
    await server.close();
  }
}

/** A replica started against the old full ConfigMap and the Nodes: ready time, then memory after a GC. */
async function measureBefore(opts: {
  startApiserver: StartApiserver;
  childScript: string;
  fleet: FleetNode[];
  oldData: Record<string, string>;
  timeoutMs: number;
}): Promise<{ rssMb: number; heapMb: number; readyMs: number }> {
  const server = await opts.startApiserver({
    nodes: opts.fleet.map(nodeObject),
    configmaps: [rangesConfigMap(opts.oldData)],
  });
  try {
    const child = await startSourceChild(
      opts.childScript,
      { apiserverUrl: server.url, namespace: FLEET_NAMESPACE, configMapName: FLEET_CONFIGMAP },
      opts.timeoutMs,
    );
    try {
      const mem = await child.memory(true);
      return {
        rssMb: round(mem.rssBytes / MB, 1),
        heapMb: round(mem.heapUsedBytes / MB, 1),
        readyMs: round(child.readyMs),
      };
    } finally {
      await child.stop();
    }
  } finally {
    await server.close();
  }
}

/**
 * After: the work of one coalesced batch, `NodeReports.nodes()` rebuilt after a change plus
 * `composeRanges` with every node live and reported. Before: one ConfigMap event in the
 * rollout, the incremental parse of a version with one new entry plus `composeRanges`.
 */
function timeRebuilds(
  fleet: FleetNode[],
  entries: string[],
  oldData: Record<string, string>,
  log: (msg: string) => void,
): FleetScale['rebuild'] {
  const cache = new EntryCache();
  const config = applyConfigMap({ ...HEADER }, undefined, cache);
  const reports = new NodeReports(FLEET_CONFIGMAP, cache);
  // As the informer holds them (projectConfigMap keeps metadata and data).
  const report = (node: FleetNode, entry: string) => reporterBodies(node, entry).create as KubernetesObject;
  reports.replaceAll(
    fleet.map((n, i) => report(n, entries[i]!)),
    config.defaultProfile,
  );
  const live = new Map(fleet.map((n) => [n.name, n.labels]));
  const after: number[] = [];
  // The server passes its current ranges, so nodes whose data did not change keep their NodeInfo.
  let ranges = composeRanges(config, live, 'fleet', reports.nodes());
  // Round 0 warms the code up and is not counted, here and below.
  for (let r = 0; r <= REBUILD_ROUNDS; r++) {
    // A report event changes one entry: a new source-port count, as a busy node reports at a resync.
    const i = r % fleet.length;
    const changed = entries[i]!.replace(/"count":\d+/, `"count":${1000 + r}`);
    if (!reports.upsert(report(fleet[i]!, changed), config.defaultProfile)) throw new Error('no change');
    const t0 = performance.now();
    ranges = composeRanges(config, live, 'fleet', reports.nodes(), ranges);
    if (r > 0) after.push(performance.now() - t0);
  }
  const beforeCache = new EntryCache();
  const data = { ...oldData };
  let previous = applyConfigMap(data, undefined, beforeCache);
  const before: number[] = [];
  for (let r = 0; r <= REBUILD_ROUNDS; r++) {
    const node = fleet[r % fleet.length]!;
    const key = `${NODE_KEY_PREFIX}${node.name}`;
    // One entry changes per write, to a never-seen text (texts with labels were not cached).
    data[key] = oldData[key]!.replace('"labels":{', `"labels":{"bench/round":"${r}",`);
    const t0 = performance.now();
    previous = applyConfigMap(data, previous, beforeCache);
    composeRanges(previous, live, 'fleet');
    if (r > 0) before.push(performance.now() - t0);
  }
  log(`fleet: rebuild ${round(median(after))} ms after, ${round(median(before))} ms per write before`);
  return {
    medianMs: round(median(after)),
    maxMs: round(Math.max(...after)),
    beforePerWriteMs: round(median(before)),
    beforeRolloutCpuS: round((median(before) * fleet.length) / 1000, 1),
  };
}

async function runScale(
  n: number,
  opts: {
    startApiserver: StartApiserver | { missing: string };
    childScript: string;
    procRoot: string;
    trees: Map<string, TreeData>;
    rolloutMax: number;
    seed: number;
    log: (msg: string) => void;
  },
): Promise<FleetScale> {
  const { log } = opts;
  const fleet = generateFleet(n, opts.seed);
  const treeOf = fleet.map((node) => procTreePath(opts.procRoot, node.profile, node.variant));
  const data = treeOf.map((t) => opts.trees.get(t)!);
  const entries = data.map((d) => d.entry);
  const oldEntries = fleet.map(
    (node, i) => [`${NODE_KEY_PREFIX}${node.name}`, oldEntry(data[i]!.sysctls, node)] as const,
  );
  const oldData: Record<string, string> = { ...HEADER };
  for (const [k, v] of oldEntries) oldData[k] = v;

  log(`fleet: ${n} nodes, computing object and byte figures`);
  const before = simulateBefore(HEADER, oldEntries, [1, 2, Math.ceil(n / 2), n]);
  const after = simulateAfter(fleet, entries);
  const rebuild = timeRebuilds(fleet, entries, oldData, log);

  let measured: FleetScale['measured'];
  let memory: FleetScale['memory'];
  const timeoutMs = Math.max(60_000, n * 40);
  const start = opts.startApiserver;
  if ('missing' in start) {
    measured = { skipped: start.missing };
    memory = { skipped: start.missing };
  } else {
    const common = { startApiserver: start, childScript: opts.childScript, fleet, timeoutMs };
    log(`fleet: ${n} nodes, replica with the old full ConfigMap`);
    const old = await measureBefore({ ...common, oldData });
    const writes: Writes =
      n <= opts.rolloutMax
        ? { mode: 'reporters', trees: treeOf, entries }
        : { mode: 'events', objects: fleet.map((node, i) => reporterBodies(node, entries[i]!).create) };
    log(
      writes.mode === 'reporters'
        ? `fleet: ${n} nodes, rollout of ${n} real reporters`
        : `fleet: ${n} nodes, ${n} report objects streamed as watch events (above --fleet-rollout-max)`,
    );
    const result = await measureRollout({ ...common, writes, log });
    measured = result.run;
    const mb = (b: number) => round(b / MB, 1);
    memory = {
      beforeRssMb: old.rssMb,
      beforeHeapMb: old.heapMb,
      beforeReadyMs: old.readyMs,
      nodesOnlyRssMb: mb(result.nodesOnly.rssBytes),
      nodesOnlyHeapMb: mb(result.nodesOnly.heapUsedBytes),
      afterRssMb: mb(result.after.rssBytes),
      afterHeapMb: mb(result.after.heapUsedBytes),
    };
  }
  const sizes = (texts: string[]) => median(texts.map((t) => Buffer.byteLength(t)));
  return {
    nodes: n,
    labelsPerNode: Object.keys(fleet[0]?.labels ?? {}).length,
    oldEntryBytes: sizes(oldEntries.map(([, v]) => v)),
    reportEntryBytes: sizes(entries),
    before,
    after,
    measured,
    rebuild,
    memory,
    watchReduction: round(before.watchBytesPerReplica / after.watchBytesPerReplica, 1),
  };
}

export async function runFleetSection(opts: {
  sizes: number[];
  startApiserver: StartApiserver | { missing: string };
  /** Compiled bench/servers/fleet-source.js. */
  childScript: string;
  /** Fleets up to this size get a rollout of real reporters; larger ones a burst of the same events. */
  rolloutMax: number;
  seed: number;
  log: (msg: string) => void;
}): Promise<FleetResult> {
  const procRoot = mkdtempSync(join(tmpdir(), 'portguard-bench-fleet-'));
  try {
    await writeProcTrees(procRoot, PROFILES);
    const trees = await readTrees(procRoot);
    const scales: FleetScale[] = [];
    for (const n of opts.sizes) scales.push(await runScale(n, { ...opts, procRoot, trees }));
    return {
      status: 'ok',
      scales,
      objectSizeBarBytes: OBJECT_SIZE_BAR,
      notes: [
        'before figures are computed (the rollout moves O(nodes²) bytes); after figures are computed the same way and the rollout is also run (measured)',
        'sizes are JSON as the apiserver returns objects, including one managedFields entry per field manager (assumed; the apiserver stores and sends them)',
        'the measured run uses the test list/watch server, whose objects carry no managedFields or creationTimestamp, so its watch bytes are below the computed ones',
        'before: the apiserver refuses the ConfigMap once its data passes 1,048,576 bytes; figures past that point describe the design, not a run that could happen',
        'replica memory: RSS and live heap of a child process running only startClusterStateSource, after a GC; RSS keeps the high-water mark of start and rollout',
        'the test server answers a LIST in one page (the apiserver pages by 500), so the before replica lists the Nodes and the big ConfigMap at once, as the after replica lists the Nodes',
      ],
    };
  } finally {
    rmSync(procRoot, { recursive: true, force: true });
  }
}
