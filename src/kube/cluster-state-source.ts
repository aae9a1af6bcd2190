/**
 * Live `ClusterState` for the webhook, fed by seven informers: the ranges ConfigMap, the
 * nodes' report objects (src/kube/node-reports.ts), Services, hostNetwork pods, pods with hostPorts, Nodes, and Namespaces (their labels,
 * for the per-namespace mode label `portguard.io/mode`; AdmissionReviews do not carry them).
 *
 * Consistency: reviews read `getState()` synchronously, and every change is applied in
 * one synchronous step, so a review never sees half an event. A full (re)list, after a
 * 410 Gone or a restart, builds a fresh PortInventory from the new list plus the other
 * resources' current objects and swaps it in with a single assignment. The ranges
 * ConfigMap is the exception in cost, not in consistency: a new version is parsed in
 * slices of a few ms with `setImmediate` yields between them (a full 5,000-node rewrite
 * would otherwise stall every review queued behind it), reviews are answered from the
 * previous state meanwhile, and the result is swapped in with one assignment. A newer
 * event (update, delete, relist) supersedes a parse in flight, so the latest event wins.
 *
 * Readiness is false until every informer has applied its initial list (for the
 * ConfigMap: until the first version's parse has been applied). What happens when the
 * ranges ConfigMap is absent, bad, deleted or recreated is decided by
 * ranges-configmap-lifecycle.ts; this module logs and counts each decision and applies it.
 */

import { PortInventory } from '../core/inventory.js';
import { EntryCache } from '../core/node-ranges.js';
import { objectKey, viewOf } from '../core/object-view.js';
import type { ClusterState } from '../core/state.js';
import { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE } from './defaults.js';
import { CoreV1Api, type KubeConfig, type KubernetesListObject, type KubernetesObject } from './k8s.js';
import type { KubeLogger } from './logger.js';
import { NODE_REPORT_SELECTOR, NodeReports } from './node-reports.js';
import { listAllWithVersion, PAGE_SIZE, type Page } from './paged-list.js';
import {
  declaresHostPort,
  isTerminated,
  projectConfigMap,
  projectHostPortPod,
  projectNode,
  projectPod,
  projectService,
} from './projections.js';
import {
  type ConfigMapDecision,
  type ConfigMapVersion,
  RangesConfigMapLifecycle,
} from './ranges-configmap-lifecycle.js';
import { applyConfigMapInSlices, composeRanges } from './ranges-model.js';
import { type Backoff, ResourceWatch } from './resource-watch.js';

export { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE };

/** Metrics the source reports into; duck-typed so the server's metrics module plugs in. */
export interface ClusterStateMetrics {
  rangesReloadErrors?: { inc(): void };
  /** Unix seconds of the last ConfigMap data that was applied cleanly. */
  rangesLastGood?: { set(value: number): void };
  /** 1 while the ranges ConfigMap exists, 0 when absent or deleted (last data kept). */
  rangesConfigMapPresent?: { set(value: number): void };
  informerSynced?: { set(labels: { resource: string }, value: number): void };
  informerRestarts?: { inc(labels: { resource: string }): void };
}

export interface ClusterStateSourceOptions {
  kubeConfig: KubeConfig;
  namespace?: string;
  configMapName?: string;
  logger: KubeLogger;
  metrics?: ClusterStateMetrics;
  now?: () => Date;
  /** Restart backoff for failed informers. */
  backoff?: Backoff;
  random?: () => number;
  /** The library's pause between quiet watch reconnects; tests shorten it. */
  watchDelay?: (ms: number) => Promise<void>;
  /**
   * Report-object events arriving within this window are applied together. During a
   * DaemonSet rollout every node writes once; rebuilding the node index per event would
   * cost O(nodes) each time, O(nodes²) for the rollout.
   */
  reportCoalesceMs?: number;
}

/** Default coalescing window for node report events. */
export const DEFAULT_REPORT_COALESCE_MS = 250;

export interface ClusterStateSource {
  /** The current state; cheap, call it once per review. */
  getState(): ClusterState;
  isReady(): { ready: boolean; detail: Record<string, unknown> };
  stop(): Promise<void>;
  /** Calls `cb` after every applied change; returns an unsubscribe function. */
  onChange(cb: () => void): () => void;
  /**
   * Labels of a namespace from the Namespace informer, or `undefined` for a namespace it
   * has not seen (the review then uses the policy's mode). The object is shared: read only.
   */
  namespaceLabels(name: string): Record<string, string> | undefined;
  /** Nodes that have a report object, bad or good (the leader prunes those of deleted nodes). */
  reportedNodes(): string[];
}

/** Namespaces keep only name and labels: the mode label is all the server reads of them. */
export function projectNamespace(ns: KubernetesObject): Obj {
  const meta = ns.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: meta.name, resourceVersion: meta.resourceVersion, labels: { ...(meta.labels ?? {}) } },
  };
}

type Obj = KubernetesObject & Record<string, unknown>;

function keyOf(obj: Obj, kind: string): string {
  const view = viewOf({ ...obj, kind });
  return view ? objectKey(view) : `${kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/**
 * An informer's list: paged through the shared `listAllWithVersion` (a 410 mid-list starts
 * over once), keeping the snapshot's resourceVersion that the watch continues from.
 */
async function listAll<T extends KubernetesObject>(
  what: string,
  page: (cont: string | undefined) => Promise<KubernetesListObject<T>>,
): Promise<KubernetesListObject<T>> {
  const list = await listAllWithVersion(what, page as unknown as (cont: string | undefined) => Promise<Page>);
  return { metadata: { resourceVersion: list.resourceVersion }, items: list.items as unknown as T[] };
}

function versionOf(cm: Obj): ConfigMapVersion {
  return { resourceVersion: cm.metadata?.resourceVersion, data: (cm.data ?? {}) as Record<string, unknown> };
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  if (!a) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => a[k] === b[k]);
}

/** Starts the informers and returns the live source; see the module comment. */
export function startClusterStateSource(opts: ClusterStateSourceOptions): ClusterStateSource {
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  const configMapName = opts.configMapName ?? DEFAULT_CONFIGMAP;
  const now = opts.now ?? (() => new Date());
  const { logger, metrics } = opts;
  const api = opts.kubeConfig.makeApiClient(CoreV1Api);
  const cmSource = `configmap ${namespace}/${configMapName}`;

  // Port-holding objects per informer, keyed like the inventory.
  const services = new Map<string, Obj>();
  const hostNetworkPods = new Map<string, Obj>();
  const hostPortPods = new Map<string, Obj>();
  const nodes = new Map<string, Record<string, string>>();
  const namespaceLabels = new Map<string, Record<string, string>>();

  const rangesConfigMap = new RangesConfigMapLifecycle(cmSource);
  /** Profiles and entry texts already parsed, shared by every version of the ConfigMap. */
  const entryCache = new EntryCache();
  /** The nodes' report objects, parsed; joined with the ConfigMap and the Nodes by `composeRanges`. */
  const reports = new NodeReports(configMapName, entryCache);
  let reportTimer: NodeJS.Timeout | undefined;
  let reportErrorsLogged = 0;

  let state: ClusterState = {
    ranges: composeRanges(rangesConfigMap.config, undefined, rangesConfigMap.rangesSource, reports.nodes()),
    nodesComplete: false,
    inventory: new PortInventory(),
  };
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const cb of listeners) {
      try {
        cb();
      } catch (err) {
        logger.error({ err: String(err) }, 'cluster state listener failed');
      }
    }
  };

  const watches: ResourceWatch<Obj>[] = [];

  const rebuildRanges = (): void => {
    const nodesSynced = nodeWatch.synced;
    if (reportTimer) {
      clearTimeout(reportTimer);
      reportTimer = undefined;
    }
    state = {
      ...state,
      ranges: composeRanges(
        rangesConfigMap.config,
        nodesSynced ? nodes : undefined,
        rangesConfigMap.rangesSource,
        reports.nodes(),
        state.ranges,
      ),
      nodesComplete: nodesSynced,
    };
  };

  /** Applies report events after the coalescing window, as one rebuild. */
  const scheduleReportRebuild = (): void => {
    if (reportTimer) return;
    reportTimer = setTimeout(() => {
      reportTimer = undefined;
      rebuildRanges();
      changed();
    }, opts.reportCoalesceMs ?? DEFAULT_REPORT_COALESCE_MS);
    reportTimer.unref?.();
  };

  /** Logs report errors once per change of their count, so a bad report is not logged per event. */
  const logReportErrors = (): void => {
    if (reports.errorCount === reportErrorsLogged) return;
    reportErrorsLogged = reports.errorCount;
    const errors = reports.errors();
    if (errors.length > 0)
      logger.error(
        { errors: errors.slice(0, 10), total: errors.length },
        'node report objects with errors; those nodes use the ranges ConfigMap or the default profile',
      );
  };

  const rebuildInventory = (): void => {
    const inventory = new PortInventory();
    for (const store of [services, hostNetworkPods, hostPortPods])
      for (const o of store.values()) inventory.upsert(o);
    state = { ...state, inventory };
  };

  /** Re-syncs one pod key after either pod informer changed it. */
  const syncPod = (key: string, obj: Obj): void => {
    const current = hostNetworkPods.get(key) ?? hostPortPods.get(key);
    if (current) state.inventory.upsert(current);
    else state.inventory.remove(obj);
  };

  /**
   * Acts on what the ConfigMap lifecycle decided. A `parse` runs in slices (reviews keep
   * being answered from the current state meanwhile) and its result goes back to the
   * lifecycle, which drops it when a newer event came in between; an applied version is
   * swapped in with one synchronous step, so no review sees half of it.
   */
  const onConfigMapDecision = (d: ConfigMapDecision): void => {
    switch (d.kind) {
      case 'parse': {
        const superseded = () => !rangesConfigMap.isCurrent(d.generation);
        applyConfigMapInSlices(d.data, d.previous, { cache: entryCache, superseded }).then(
          (parsed) => onConfigMapDecision(rangesConfigMap.parsed(d.generation, parsed, now())),
          (err: unknown) => onConfigMapDecision(rangesConfigMap.parseFailed(d.generation, err)),
        );
        return;
      }
      case 'unchanged':
      case 'stale':
        return;
      case 'parse-failed':
        metrics?.rangesReloadErrors?.inc();
        logger.error({ configMap: cmSource, err: d.error }, 'ranges ConfigMap parse failed');
        return;
      case 'absent':
        metrics?.rangesConfigMapPresent?.set(0);
        logger.warn({ configMap: cmSource }, 'ranges ConfigMap not found; serving built-in defaults');
        break;
      case 'deleted':
        if (!d.first) break;
        metrics?.rangesConfigMapPresent?.set(0);
        logger.warn(
          { configMap: cmSource, since: d.since?.toISOString() },
          'ranges ConfigMap deleted; serving the last known data',
        );
        break;
      case 'rejected':
        metrics?.rangesConfigMapPresent?.set(1);
        metrics?.rangesReloadErrors?.inc();
        logger.error(
          { configMap: cmSource, resourceVersion: d.resourceVersion, errors: d.errors },
          'ranges ConfigMap update rejected; keeping the last good data',
        );
        break;
      case 'applied':
      case 'applied-with-errors':
        metrics?.rangesConfigMapPresent?.set(1);
        if (d.kind === 'applied-with-errors') {
          metrics?.rangesReloadErrors?.inc();
          logger.error(
            { configMap: cmSource, resourceVersion: d.resourceVersion, errors: d.errors },
            'ranges ConfigMap has errors; bad entries fall back to the default profile',
          );
        } else metrics?.rangesLastGood?.set(d.at.getTime() / 1000);
        // Reports inherit what they leave out from `default`, like the ConfigMap's own entries.
        reports.setDefault(d.parsed.defaultProfile);
        rebuildRanges();
        logger.info(
          { configMap: cmSource, resourceVersion: d.resourceVersion, keys: d.parsed.entries.size },
          'ranges ConfigMap applied',
        );
        break;
    }
    changed();
  };

  const configMapWatch = new ResourceWatch<Obj>({
    ...common('configmap'),
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    fieldSelector: `metadata.name=${configMapName}`,
    list: () =>
      listAll(`ConfigMap ${namespace}/${configMapName}`, (cont) =>
        api.listNamespacedConfigMap({
          namespace,
          fieldSelector: `metadata.name=${configMapName}`,
          limit: PAGE_SIZE,
          _continue: cont,
        }),
      ) as Promise<KubernetesListObject<Obj>>,
    transform: projectConfigMap,
    onList: (items) => {
      const cm = items.find((i) => i.metadata?.name === configMapName);
      onConfigMapDecision(rangesConfigMap.listed(cm && versionOf(cm)));
    },
    onUpsert: (cm) => {
      if (cm.metadata?.name === configMapName) onConfigMapDecision(rangesConfigMap.upserted(versionOf(cm)));
    },
    onDelete: (cm) => {
      if (cm.metadata?.name === configMapName) onConfigMapDecision(rangesConfigMap.deleted());
    },
  });

  const reportWatch = new ResourceWatch<Obj>({
    ...common('node-reports'),
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    labelSelector: NODE_REPORT_SELECTOR,
    list: () =>
      listAll('node reports', (cont) =>
        api.listNamespacedConfigMap({
          namespace,
          labelSelector: NODE_REPORT_SELECTOR,
          limit: PAGE_SIZE,
          _continue: cont,
        }),
      ) as Promise<KubernetesListObject<Obj>>,
    transform: projectConfigMap,
    onList: (items) => {
      reports.replaceAll(items, rangesConfigMap.config.defaultProfile);
      logReportErrors();
      rebuildRanges();
      changed();
    },
    onUpsert: (cm) => {
      if (!reports.upsert(cm, rangesConfigMap.config.defaultProfile)) return;
      logReportErrors();
      scheduleReportRebuild();
    },
    onDelete: (cm) => {
      if (reports.delete(cm)) scheduleReportRebuild();
    },
  });

  const serviceWatch = new ResourceWatch<Obj>({
    ...common('services'),
    path: '/api/v1/services',
    list: () =>
      listAll('services', (cont) =>
        api.listServiceForAllNamespaces({ limit: PAGE_SIZE, _continue: cont }),
      ) as Promise<KubernetesListObject<Obj>>,
    transform: projectService,
    onList: (items) => {
      services.clear();
      for (const s of items) services.set(keyOf(s, 'Service'), s);
      rebuildInventory();
      changed();
    },
    onUpsert: (s) => {
      services.set(keyOf(s, 'Service'), s);
      state.inventory.upsert(s);
      changed();
    },
    onDelete: (s) => {
      services.delete(keyOf(s, 'Service'));
      state.inventory.remove(s);
      changed();
    },
  });

  const podWatch = (
    name: string,
    store: Map<string, Obj>,
    fieldSelector: string | undefined,
    transform: (o: Obj) => Obj,
    keep: (o: Obj) => boolean,
  ): ResourceWatch<Obj> =>
    new ResourceWatch<Obj>({
      ...common(name),
      path: '/api/v1/pods',
      ...(fieldSelector ? { fieldSelector } : {}),
      list: () =>
        listAll(name, (cont) =>
          api.listPodForAllNamespaces({ fieldSelector, limit: PAGE_SIZE, _continue: cont }),
        ) as Promise<KubernetesListObject<Obj>>,
      transform,
      onList: (items) => {
        store.clear();
        for (const p of items) if (keep(p)) store.set(keyOf(p, 'Pod'), p);
        rebuildInventory();
        changed();
      },
      onUpsert: (p) => {
        const key = keyOf(p, 'Pod');
        if (keep(p)) store.set(key, p);
        // The all-pods watch sees every status update of every pod; most hold no ports.
        else if (!store.delete(key)) return;
        syncPod(key, p);
        changed();
      },
      onDelete: (p) => {
        const key = keyOf(p, 'Pod');
        store.delete(key);
        syncPod(key, p);
        changed();
      },
    });

  const hostNetworkWatch = podWatch(
    'hostnetwork-pods',
    hostNetworkPods,
    'spec.hostNetwork=true',
    projectPod,
    (p) => !isTerminated(p),
  );
  const hostPortWatch = podWatch(
    'hostport-pods',
    hostPortPods,
    undefined,
    projectHostPortPod,
    (p) => declaresHostPort(p) && !isTerminated(p),
  );

  const nodeWatch = new ResourceWatch<Obj>({
    ...common('nodes'),
    path: '/api/v1/nodes',
    list: () =>
      listAll('nodes', (cont) => api.listNode({ limit: PAGE_SIZE, _continue: cont })) as Promise<
        KubernetesListObject<Obj>
      >,
    transform: projectNode,
    onList: (items) => {
      nodes.clear();
      for (const n of items) if (n.metadata?.name) nodes.set(n.metadata.name, n.metadata.labels ?? {});
      // nodeWatch.synced flips right after onList; read the list as complete already.
      rebuildRangesWithNodes();
      changed();
    },
    onUpsert: (n) => {
      const name = n.metadata?.name;
      if (!name) return;
      const labels = n.metadata?.labels ?? {};
      // Node status updates are frequent; only a label change (or a new node) matters.
      if (sameLabels(nodes.get(name), labels)) return;
      nodes.set(name, labels);
      rebuildRanges();
      changed();
    },
    onDelete: (n) => {
      const name = n.metadata?.name;
      if (!name || !nodes.delete(name)) return;
      rebuildRanges();
      changed();
    },
  });

  const namespaceWatch = new ResourceWatch<Obj>({
    ...common('namespaces'),
    path: '/api/v1/namespaces',
    list: () =>
      listAll('namespaces', (cont) => api.listNamespace({ limit: PAGE_SIZE, _continue: cont })) as Promise<
        KubernetesListObject<Obj>
      >,
    transform: projectNamespace,
    onList: (items) => {
      namespaceLabels.clear();
      for (const ns of items)
        if (ns.metadata?.name) namespaceLabels.set(ns.metadata.name, ns.metadata.labels ?? {});
      changed();
    },
    onUpsert: (ns) => {
      const name = ns.metadata?.name;
      if (!name) return;
      const labels = ns.metadata?.labels ?? {};
      if (sameLabels(namespaceLabels.get(name), labels)) return;
      namespaceLabels.set(name, labels);
      changed();
    },
    onDelete: (ns) => {
      const name = ns.metadata?.name;
      if (name && namespaceLabels.delete(name)) changed();
    },
  });

  function rebuildRangesWithNodes(): void {
    state = {
      ...state,
      ranges: composeRanges(
        rangesConfigMap.config,
        nodes,
        rangesConfigMap.rangesSource,
        reports.nodes(),
        state.ranges,
      ),
      nodesComplete: true,
    };
  }

  function common(name: string) {
    return {
      name,
      kubeConfig: opts.kubeConfig,
      logger,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.watchDelay ? { watchDelay: opts.watchDelay } : {}),
      onSynced: (synced: boolean) => {
        metrics?.informerSynced?.set({ resource: name }, synced ? 1 : 0);
        if (synced) logger.info({ resource: name }, 'informer synced');
      },
      onRestart: () => metrics?.informerRestarts?.inc({ resource: name }),
    };
  }

  watches.push(
    configMapWatch,
    reportWatch,
    serviceWatch,
    hostNetworkWatch,
    hostPortWatch,
    nodeWatch,
    namespaceWatch,
  );
  for (const w of watches) metrics?.informerSynced?.set({ resource: w.name }, 0);
  for (const w of watches) w.start();

  return {
    getState: () => state,
    isReady: () => {
      const informers: Record<string, unknown> = {};
      for (const w of watches) informers[w.name] = w.status();
      // The ConfigMap informer syncs before its sliced parse ends; wait for the data too.
      const ready = watches.every((w) => w.synced) && rangesConfigMap.settled;
      const rangesErrors = rangesConfigMap.errors();
      return {
        ready,
        detail: {
          informers,
          rangesConfigMap: rangesConfigMap.describe(),
          ...(rangesErrors ? { rangesErrors } : {}),
          rangesSource: state.ranges.source,
          ...(rangesConfigMap.updateInProgress ? { rangesUpdateInProgress: true } : {}),
          nodes: state.ranges.nodes.size,
          nodesComplete: state.nodesComplete,
          nodeReports: reports.size,
          ...(reports.errorCount > 0 ? { nodeReportErrors: reports.errors().slice(0, 10) } : {}),
          inventoryObjects: state.inventory.objectCount,
          namespaces: namespaceLabels.size,
        },
      };
    },
    stop: async () => {
      rangesConfigMap.cancel();
      clearTimeout(reportTimer);
      await Promise.all(watches.map((w) => w.stop()));
      listeners.clear();
    },
    namespaceLabels: (name) => namespaceLabels.get(name),
    reportedNodes: () => reports.nodeNames(),
    onChange: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}
