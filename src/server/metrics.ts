/**
 * Prometheus metrics for the webhook and the cluster-state informers. Built by a
 * factory on an injected registry (never prom-client's global one), so tests and
 * several servers in one process do not share counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeInfo } from '../core/node-ranges.js';

export type ReviewOperation = 'validate' | 'mutate';
export type ReviewDecision = 'allowed' | 'denied' | 'error' | 'patched';

export interface Metrics {
  registry: Registry;
  /** Seconds spent answering one AdmissionReview. */
  requestDuration: Histogram<'operation' | 'kind' | 'decision'>;
  /** Findings seen, by rule, severity and the mode that applied (audit mode counts here). */
  findings: Counter<'rule' | 'severity' | 'mode'>;
  /** Ranges ConfigMap updates rejected (the last good data stays in use). */
  rangesReloadErrors: Counter<string>;
  /** Unix time of the last ranges ConfigMap that parsed cleanly. */
  rangesLastGood: Gauge<string>;
  /** 1 while the ranges ConfigMap exists; 0 when absent or deleted (last data kept). */
  rangesConfigMapPresent: Gauge<string>;
  /** 1 once the informer for `resource` has synced, 0 while (re)listing. */
  informerSynced: Gauge<'resource'>;
  /** Watch restarts per resource (reconnects with backoff). */
  informerRestarts: Counter<'resource'>;
  /** 1 while this replica holds the leader Lease and runs the leader-only jobs. */
  leader: Gauge<string>;
  /** Periodic audit runs on the leader, by outcome (ok, failed, lost-leadership). */
  periodicAuditRuns: Counter<'outcome'>;
  /** Unix time of the last periodic audit whose reports were all written. */
  periodicAuditLastSuccess: Gauge<string>;
  /** Findings in the last successful periodic audit. */
  periodicAuditFindings: Gauge<string>;
  /** NodePorts reserved by recent mutations (see nodeport-reservations.ts); read at scrape time. */
  reservedNodePorts: Gauge<string>;
  /** ConfigMaps looked up for reviews, by how each was answered (hit = cache or a shared request). */
  configMapLookups: Counter<'outcome'>;
  scriptPoolTasks: Counter<'outcome'>;
  /** Per node (at most MAX_SOURCE_PORT_SERIES, busiest first): connections using a NodePort as source port. */
  nodeSourcePorts: Gauge<'node'>;
  /** Nodes whose reporter counted at least one connection using a NodePort as source port. */
  nodesWithSourcePorts: Gauge<string>;
}

/**
 * Series of `portguard_node_nodeport_source_ports` kept per scrape: the busiest nodes. A
 * fleet-wide misconfiguration must not turn into 15,000 series; the count of affected
 * nodes is in `portguard_nodes_with_nodeport_source_ports` either way.
 */
export const MAX_SOURCE_PORT_SERIES = 100;

/** Values that live elsewhere and are read when /metrics is scraped. */
export interface MetricSources {
  reservedNodePorts?: () => number;
  /** The nodes of the current cluster state (`state.ranges.nodes`), for the evidence node reporters measured. */
  nodes?: () => ReadonlyMap<string, NodeInfo>;
}

/** Nodes with a measured NodePort source-port count above zero, busiest first. */
function nodesUsingNodePorts(nodes: ReadonlyMap<string, NodeInfo>): { name: string; count: number }[] {
  const out: { name: string; count: number }[] = [];
  for (const n of nodes.values()) {
    const count = n.evidence?.nodePortSourcePorts?.count ?? 0;
    if (count > 0) out.push({ name: n.name, count });
  }
  return out.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
}

const REQUEST_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Creates every portguard metric on `registry` (a fresh one when omitted). */
export function createMetrics(registry: Registry = new Registry(), sources: MetricSources = {}): Metrics {
  const registers = [registry];
  // Both source-port gauges read one scan per cluster state: the state's node map is replaced,
  // never changed, so its identity says whether the scan is current.
  let scanned: { nodes: ReadonlyMap<string, NodeInfo>; using: { name: string; count: number }[] } | undefined;
  const usingNodePorts = (): { name: string; count: number }[] => {
    const nodes = sources.nodes?.();
    if (!nodes) return [];
    if (scanned?.nodes !== nodes) scanned = { nodes, using: nodesUsingNodePorts(nodes) };
    return scanned.using;
  };
  return {
    registry,
    requestDuration: new Histogram({
      name: 'portguard_admission_request_duration_seconds',
      help: 'Time to answer one AdmissionReview',
      labelNames: ['operation', 'kind', 'decision'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    }),
    findings: new Counter({
      name: 'portguard_findings_total',
      help: 'Findings reported by admission reviews',
      labelNames: ['rule', 'severity', 'mode'],
      registers,
    }),
    rangesReloadErrors: new Counter({
      name: 'portguard_ranges_reload_errors_total',
      help: 'Node-ranges ConfigMap updates rejected; the last good data stays in use',
      registers,
    }),
    rangesLastGood: new Gauge({
      name: 'portguard_ranges_last_good_timestamp_seconds',
      help: 'Unix time when the node-ranges ConfigMap last parsed cleanly',
      registers,
    }),
    rangesConfigMapPresent: new Gauge({
      name: 'portguard_ranges_configmap_present',
      help: '1 while the node-ranges ConfigMap exists; 0 when absent or deleted (the last known data stays in use)',
      registers,
    }),
    informerSynced: new Gauge({
      name: 'portguard_informer_synced',
      help: '1 when the informer for the resource has completed its initial list',
      labelNames: ['resource'],
      registers,
    }),
    informerRestarts: new Counter({
      name: 'portguard_informer_restarts_total',
      help: 'Watch restarts per resource',
      labelNames: ['resource'],
      registers,
    }),
    leader: new Gauge({
      name: 'portguard_leader',
      help: '1 while this replica holds the leader Lease (node-key pruning, periodic audit)',
      registers,
    }),
    periodicAuditRuns: new Counter({
      name: 'portguard_periodic_audit_runs_total',
      help: 'Periodic audit runs on the leader, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    periodicAuditLastSuccess: new Gauge({
      name: 'portguard_periodic_audit_last_success_timestamp_seconds',
      help: 'Unix time of the last periodic audit whose PolicyReports were all written',
      registers,
    }),
    periodicAuditFindings: new Gauge({
      name: 'portguard_periodic_audit_findings',
      help: 'Findings in the last successful periodic audit',
      registers,
    }),
    reservedNodePorts: new Gauge({
      name: 'portguard_reserved_nodeports',
      help: 'NodePorts this replica assigned whose Service its informer has not shown yet (released within the reservation TTL)',
      registers,
      collect() {
        if (sources.reservedNodePorts) this.set(sources.reservedNodePorts());
      },
    }),
    scriptPoolTasks: new Counter({
      name: 'portguard_script_pool_tasks_total',
      help: 'Script-analysis tasks sent to the worker pool, by outcome (done; deadline: scripts left unknown at --review-deadline; failed)',
      labelNames: ['outcome'],
      registers,
    }),
    nodeSourcePorts: new Gauge({
      name: 'portguard_node_nodeport_source_ports',
      help: `Connections on a node whose source port lies in the NodePort range, as its node reporter counted them (nodes above zero only, at most ${MAX_SOURCE_PORT_SERIES}, busiest first)`,
      labelNames: ['node'],
      registers,
      collect() {
        if (!sources.nodes) return;
        this.reset();
        for (const { name, count } of usingNodePorts().slice(0, MAX_SOURCE_PORT_SERIES))
          this.set({ node: name }, count);
      },
    }),
    nodesWithSourcePorts: new Gauge({
      name: 'portguard_nodes_with_nodeport_source_ports',
      help: 'Nodes whose node reporter counted at least one connection using a NodePort as its source port',
      registers,
      collect() {
        if (sources.nodes) this.set(usingNodePorts().length);
      },
    }),
    configMapLookups: new Counter({
      name: 'portguard_configmap_lookups_total',
      help: 'ConfigMaps looked up for the scripts of node-reaching pods, by outcome (hit, found, not_found, error, timeout)',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
