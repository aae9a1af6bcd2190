/**
 * What the apiserver stores, receives and sends during a reporter rollout (every node
 * writes once), computed for both designs from the objects themselves:
 *
 * - before: one ranges ConfigMap; each reporter merge-patches its `node.<name>` key with
 *   its sysctls and a copy of all its Node's labels, so the object grows by one entry per
 *   write and every watcher receives the whole object after each write (O(nodes²) bytes);
 * - after: one report object per node (src/kube/node-reports.ts) created by its reporter;
 *   every watcher receives one small object per write (O(nodes)).
 *
 * Objects are serialized as the apiserver returns them in JSON: kind, apiVersion, metadata
 * with uid, resourceVersion, creationTimestamp, labels, ownerReferences and managedFields
 * (one FieldsV1 entry per manager, which the apiserver stores and sends with every object
 * and event), then data. etcd stores protobuf, slightly smaller than this JSON; the sizes
 * here stand for both. "Computed" in the summary means these sums, not a measurement.
 */
import { NODE_KEY_PREFIX } from '../../src/core/node-ranges.js';
import { NODE_REPORT_LABEL, NODE_REPORT_LABEL_VALUE, reportObjectName } from '../../src/kube/node-reports.js';
import type { FleetNode } from './nodes.js';

/** The apiserver rejects a ConfigMap whose data keys and values exceed this many bytes. */
export const CONFIGMAP_DATA_LIMIT = 1_048_576;
/** Issue 14's bar: every object the design stores stays under this. */
export const OBJECT_SIZE_BAR = 256 * 1024;

export const FLEET_NAMESPACE = 'portguard-system';
export const FLEET_CONFIGMAP = 'portguard-node-ranges';

const TIME = '2026-12-05T10:00:00Z';
/** Nine digits, as an etcd revision of a busy cluster has; fixed width keeps sizes exact. */
const RESOURCE_VERSION = '481516234';
/**
 * The field manager the apiserver records for the reporter's writes. It names none, so the
 * apiserver takes it from the User-Agent ("node" for Node.js's fetch); every reporter shares
 * it, so the old ConfigMap carried one managedFields entry listing every reporter's key.
 */
const REPORTER_MANAGER = 'node';

type Json = Record<string, unknown>;

export interface FleetHeader {
  nodePortRange: string;
  default: string;
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

function managedFields(manager: string, fields: Json): Json {
  return {
    manager,
    operation: 'Update',
    apiVersion: 'v1',
    time: TIME,
    fieldsType: 'FieldsV1',
    fieldsV1: fields,
  };
}

/** A watch event line as the apiserver streams it. */
export function watchEventBytes(type: 'ADDED' | 'MODIFIED', objectBytes: number): number {
  return Buffer.byteLength(`{"type":"${type}","object":}\n`) + objectBytes;
}

// ---- before: the single ranges ConfigMap ----

/** The entry the old reporter wrote: its sysctls and every label of its Node. */
export function oldEntry(
  sysctls: { ipLocalPortRange: string; ipLocalReservedPorts: string },
  node: FleetNode,
) {
  return JSON.stringify({
    ipLocalPortRange: sysctls.ipLocalPortRange,
    ipLocalReservedPorts: sysctls.ipLocalReservedPorts,
    labels: node.labels,
  });
}

/** The ranges ConfigMap holding the first `entries.length` node entries, as the apiserver returns it. */
export function oldConfigMap(header: FleetHeader, entries: readonly (readonly [string, string])[]): Json {
  const data: Record<string, string> = { nodePortRange: header.nodePortRange, default: header.default };
  const reporterFields: Json = {};
  for (const [key, value] of entries) {
    data[key] = value;
    reporterFields[`f:${key}`] = {};
  }
  const managed = [
    managedFields('helm', {
      'f:data': { '.': {}, 'f:default': {}, 'f:nodePortRange': {} },
      'f:metadata': { 'f:labels': { '.': {}, 'f:app.kubernetes.io/managed-by': {} } },
    }),
  ];
  if (entries.length > 0) managed.push(managedFields(REPORTER_MANAGER, { 'f:data': reporterFields }));
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name: FLEET_CONFIGMAP,
      namespace: FLEET_NAMESPACE,
      uid: '6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5',
      resourceVersion: RESOURCE_VERSION,
      creationTimestamp: TIME,
      labels: { 'app.kubernetes.io/managed-by': 'Helm' },
      managedFields: managed,
    },
    data,
  };
}

/** Bytes the apiserver's size check counts: every data key and value. */
function dataBytes(key: string, value: string): number {
  return Buffer.byteLength(key) + Buffer.byteLength(value);
}

export interface BeforeFigures {
  /** The ConfigMap after the last write (the largest object this design stores). */
  largestObjectBytes: number;
  /** Its data as the apiserver's 1 MiB check counts it. */
  dataBytes: number;
  /** First write after which the data exceeds 1,048,576 bytes (the apiserver refuses it), or null. */
  dataLimitExceededAtNode: number | null;
  /** First write after which the whole JSON object exceeds 1 MiB, or null. */
  objectOver1MiBAtNode: number | null;
  /** Merge-patch bodies the reporters sent. */
  requestBytes: number;
  /** Σ of the object's size after each write: every version etcd keeps until compaction. */
  storedBytes: number;
  /** Σ of the MODIFIED events one watching replica receives. */
  watchBytesPerReplica: number;
  /** A second rollout over the full ConfigMap (each write rewrites an existing entry). */
  rerolloutWatchBytesPerReplica: number;
}

/**
 * The old design's rollout: write `i` adds entry `i`, and the object after it is the
 * ConfigMap with entries 1..i. Sizes grow by a fixed amount per entry (its data key and
 * value, and its key in the reporter's managedFields entry), so they are summed
 * incrementally; `checkpoints` (write numbers) are serialized in full and must agree to
 * the byte, which keeps the arithmetic honest.
 */
export function simulateBefore(
  header: FleetHeader,
  entries: readonly (readonly [string, string])[],
  checkpoints: readonly number[] = [],
): BeforeFigures {
  const n = entries.length;
  if (n === 0) throw new RangeError('simulateBefore needs at least one entry');
  const first = bytes(oldConfigMap(header, entries.slice(0, 1)));
  let size = first;
  let data = dataBytes('nodePortRange', header.nodePortRange) + dataBytes('default', header.default);
  let dataLimitExceededAtNode: number | null = null;
  let objectOver1MiBAtNode: number | null = null;
  let requestBytes = 0;
  let storedBytes = 0;
  let watchBytes = 0;
  const wanted = new Set(checkpoints);
  for (let i = 1; i <= n; i++) {
    const [key, value] = entries[i - 1]!;
    // `,"key":"value"` in data and `,"f:key":{}` in the reporter's managedFields entry.
    if (i > 1) size += bytes(key) + bytes(value) + 2 + bytes(`f:${key}`) + 4;
    data += dataBytes(key, value);
    if (wanted.has(i)) {
      const exact = bytes(oldConfigMap(header, entries.slice(0, i)));
      if (exact !== size) throw new Error(`size model off at write ${i}: ${size} vs ${exact}`);
    }
    if (dataLimitExceededAtNode === null && data > CONFIGMAP_DATA_LIMIT) dataLimitExceededAtNode = i;
    if (objectOver1MiBAtNode === null && size > CONFIGMAP_DATA_LIMIT) objectOver1MiBAtNode = i;
    requestBytes += bytes({ data: { [key]: value } });
    storedBytes += size;
    watchBytes += watchEventBytes('MODIFIED', size);
  }
  return {
    largestObjectBytes: size,
    dataBytes: data,
    dataLimitExceededAtNode,
    objectOver1MiBAtNode,
    requestBytes,
    storedBytes,
    watchBytesPerReplica: watchBytes,
    rerolloutWatchBytesPerReplica: n * watchEventBytes('MODIFIED', size),
  };
}

// ---- after: one report object per node ----

/** A node's report object as the apiserver returns it after the reporter created it. */
export function reportObject(node: FleetNode, entry: string): Json {
  const key = `${NODE_KEY_PREFIX}${node.name}`;
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name: reportObjectName(FLEET_CONFIGMAP, node.name),
      namespace: FLEET_NAMESPACE,
      // Any uid has this length; the Node's, reversed, keeps the objects distinct.
      uid: [...node.uid].reverse().join(''),
      resourceVersion: RESOURCE_VERSION,
      creationTimestamp: TIME,
      labels: { [NODE_REPORT_LABEL]: NODE_REPORT_LABEL_VALUE },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }],
      managedFields: [
        managedFields(REPORTER_MANAGER, {
          'f:data': { '.': {}, [`f:${key}`]: {} },
          'f:metadata': {
            'f:labels': { '.': {}, [`f:${NODE_REPORT_LABEL}`]: {} },
            'f:ownerReferences': { '.': {}, [`k:{"uid":"${node.uid}"}`]: {} },
          },
        }),
      ],
    },
    data: { [key]: entry },
  };
}

/**
 * The reporter's two bodies for a node (src/reporter/node-reporter.ts): the merge patch it
 * tries first and the object it creates after the 404.
 */
export function reporterBodies(node: FleetNode, entry: string): { patch: Json; create: Json } {
  const metadata = {
    labels: { [NODE_REPORT_LABEL]: NODE_REPORT_LABEL_VALUE },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }],
  };
  const data = { [`${NODE_KEY_PREFIX}${node.name}`]: entry };
  const name = reportObjectName(FLEET_CONFIGMAP, node.name);
  return {
    patch: { metadata, data },
    create: { metadata: { name, namespace: FLEET_NAMESPACE, ...metadata }, data },
  };
}

/** Bytes of the reportObject's managedFields, to state the assumption in the summary. */
export function managedFieldsBytes(obj: Json): number {
  return bytes((obj.metadata as Json).managedFields);
}

export interface AfterFigures {
  largestObjectBytes: number;
  /** Its managedFields entry, included in the size (an assumption about the apiserver). */
  largestObjectManagedFieldsBytes: number;
  /** The 404'd merge patch and the create, as the reporter sends them (see the note). */
  requestBytes: number;
  storedBytes: number;
  /** Σ of the ADDED events one watching replica receives. */
  watchBytesPerReplica: number;
  /** A second rollout (each write a merge patch that changes the entry: one MODIFIED each). */
  rerolloutWatchBytesPerReplica: number;
}

/**
 * The new design's rollout: each node's reporter creates its report object (its first
 * merge patch gets 404, then it creates). Request bodies follow the reporter's code
 * (src/reporter/node-reporter.ts); the measured run reports what client-node actually sent.
 */
export function simulateAfter(nodes: readonly FleetNode[], entries: readonly string[]): AfterFigures {
  let largest = 0;
  let largestManaged = 0;
  let requestBytes = 0;
  let storedBytes = 0;
  let watchBytes = 0;
  let rerollout = 0;
  nodes.forEach((node, i) => {
    const entry = entries[i]!;
    const obj = reportObject(node, entry);
    const size = bytes(obj);
    if (size > largest) {
      largest = size;
      largestManaged = managedFieldsBytes(obj);
    }
    const { patch, create } = reporterBodies(node, entry);
    requestBytes += bytes(patch) + bytes(create);
    storedBytes += size;
    watchBytes += watchEventBytes('ADDED', size);
    rerollout += watchEventBytes('MODIFIED', size);
  });
  return {
    largestObjectBytes: largest,
    largestObjectManagedFieldsBytes: largestManaged,
    requestBytes,
    storedBytes,
    watchBytesPerReplica: watchBytes,
    rerolloutWatchBytesPerReplica: rerollout,
  };
}
