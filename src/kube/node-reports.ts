/**
 * Node report objects: one small ConfigMap per node, `<ranges ConfigMap name>.<node name>`
 * in the ranges ConfigMap's namespace, labelled `portguard.io/node-report=v1`, holding the
 * single data key `node.<node name>` in the same entry format as the ranges ConfigMap.
 *
 * Why one object per node (docs/cluster-state.md has the numbers): a reporter's write then
 * touches a few hundred bytes instead of rewriting one object that grows with the fleet,
 * no object nears the apiserver's 1 MiB limit at any cluster size, and a replica's watch
 * receives one small event per write instead of the whole fleet's data each time.
 */
import {
  type EntryCache,
  NODE_KEY_PREFIX,
  type NodeInfo,
  type NodeProfile,
  parseDataEntry,
  type RangesError,
} from '../core/node-ranges.js';
import type { KubernetesObject } from './k8s.js';

export const NODE_REPORT_LABEL = 'portguard.io/node-report';
export const NODE_REPORT_LABEL_VALUE = 'v1';
/** The label selector that finds every report object (list, watch, and the RBAC-free VAP check). */
export const NODE_REPORT_SELECTOR = `${NODE_REPORT_LABEL}=${NODE_REPORT_LABEL_VALUE}`;

/** Object names are DNS subdomains of at most 253 characters. */
const MAX_OBJECT_NAME = 253;

/** The report object of `nodeName`; throws when the name would exceed 253 characters. */
export function reportObjectName(configMapName: string, nodeName: string): string {
  const name = `${configMapName}.${nodeName}`;
  if (name.length > MAX_OBJECT_NAME) {
    throw new Error(
      `node name "${nodeName.slice(0, 40)}…" is too long for a report object: ` +
        `"${configMapName}." plus the node name must fit in ${MAX_OBJECT_NAME} characters`,
    );
  }
  return name;
}

/** The node a report object is named for, or undefined when the name does not follow the scheme. */
export function reportedNodeName(configMapName: string, objectName: string): string | undefined {
  const prefix = `${configMapName}.`;
  return objectName.startsWith(prefix) && objectName.length > prefix.length
    ? objectName.slice(prefix.length)
    : undefined;
}

/** A bad report object: its name, the data key at fault ('' for the object's shape) and why. */
export interface NodeReportError {
  object: string;
  key: string;
  message: string;
}

interface ParsedReport {
  obj: ConfigMapLike;
  raw: unknown;
  /** Key of the default profile the entry was parsed against (entries inherit what they omit). */
  defaultKey: string;
  node: NodeInfo | undefined;
  errors: readonly NodeReportError[];
}

type ConfigMapLike = KubernetesObject & { data?: Record<string, unknown> };

/**
 * The parsed report objects, by object name. Each event parses one entry (through the
 * shared `EntryCache`, so the fleet's few distinct profiles are built once); `nodes()` is
 * rebuilt only after a change. A bad report is kept out with its error: that node falls
 * back to the ranges ConfigMap or the default profile, as if it had not reported.
 */
export class NodeReports {
  private readonly byObject = new Map<string, ParsedReport>();
  private view: Map<string, NodeInfo> | undefined;
  /** Kept per change, so a caller can notice new errors without walking every report per event. */
  private errorTotal = 0;

  constructor(
    private readonly configMapName: string,
    private readonly cache?: EntryCache,
  ) {}

  get size(): number {
    return this.byObject.size;
  }

  /** How many errors `errors()` would return; O(1). */
  get errorCount(): number {
    return this.errorTotal;
  }

  private put(name: string, parsed: ParsedReport | undefined): ParsedReport | undefined {
    const before = this.byObject.get(name);
    if (before) this.errorTotal -= before.errors.length;
    if (parsed) {
      this.byObject.set(name, parsed);
      this.errorTotal += parsed.errors.length;
    } else this.byObject.delete(name);
    return before;
  }

  /** Applies an added or modified object; true when the node data changed. */
  upsert(obj: ConfigMapLike, defaultProfile: NodeProfile): boolean {
    const name = obj.metadata?.name;
    if (!name) return false;
    const key = this.expectedKey(name);
    const raw = key ? obj.data?.[key] : undefined;
    const before = this.byObject.get(name);
    const keys = Object.keys(obj.data ?? {});
    const shapeOk = key !== undefined && keys.length === 1 && keys[0] === key;
    if (before && shapeOk && before.raw === raw && before.defaultKey === defaultProfile.key) return false;
    const parsed = this.parse(name, obj, defaultProfile);
    this.put(name, parsed);
    // Kept up to date in place: a rollout changes one report per event, and rebuilding the
    // whole view each time would cost O(nodes) per event.
    if (this.view) {
      if (before?.node) this.view.delete(before.node.name);
      if (parsed.node) this.view.set(parsed.node.name, parsed.node);
    }
    return true;
  }

  /** Applies a deletion; true when the object was known. */
  delete(obj: ConfigMapLike): boolean {
    const name = obj.metadata?.name;
    const before = name ? this.put(name, undefined) : undefined;
    if (!before) return false;
    if (this.view && before.node) this.view.delete(before.node.name);
    return true;
  }

  /** Replaces everything with a full list. */
  replaceAll(items: readonly ConfigMapLike[], defaultProfile: NodeProfile): void {
    const previous = new Map(this.byObject);
    this.byObject.clear();
    this.errorTotal = 0;
    this.view = undefined;
    for (const obj of items) {
      const name = obj.metadata?.name;
      if (!name) continue;
      const old = previous.get(name);
      const key = this.expectedKey(name);
      const raw = key ? obj.data?.[key] : undefined;
      const reuse =
        old &&
        key &&
        raw === old.raw &&
        old.defaultKey === defaultProfile.key &&
        Object.keys(obj.data ?? {}).length === 1;
      this.put(name, reuse ? old : this.parse(name, obj, defaultProfile));
    }
  }

  /** Re-parses the reports parsed against another default profile; true when there were any. */
  setDefault(defaultProfile: NodeProfile): boolean {
    let changed = false;
    for (const [name, r] of this.byObject) {
      if (r.defaultKey === defaultProfile.key) continue;
      this.put(name, this.parse(name, r.obj, defaultProfile));
      changed = true;
    }
    if (changed) this.view = undefined;
    return changed;
  }

  /** The reported nodes by node name; the map is updated in place by later changes: read it, don't keep it. */
  nodes(): ReadonlyMap<string, NodeInfo> {
    if (!this.view) {
      this.view = new Map();
      for (const r of this.byObject.values()) if (r.node) this.view.set(r.node.name, r.node);
    }
    return this.view;
  }

  /** The node of every report object whose name follows the scheme, parsed cleanly or not. */
  nodeNames(): string[] {
    const out: string[] = [];
    for (const name of this.byObject.keys()) {
      const node = reportedNodeName(this.configMapName, name);
      if (node !== undefined) out.push(node);
    }
    return out;
  }

  /** Every report's errors. */
  errors(): NodeReportError[] {
    const out: NodeReportError[] = [];
    for (const r of this.byObject.values()) out.push(...r.errors);
    return out;
  }

  private expectedKey(objectName: string): string | undefined {
    const node = reportedNodeName(this.configMapName, objectName);
    return node === undefined ? undefined : `${NODE_KEY_PREFIX}${node}`;
  }

  private parse(name: string, obj: ConfigMapLike, defaultProfile: NodeProfile): ParsedReport {
    const key = this.expectedKey(name);
    const data = obj.data ?? {};
    const base = { obj, defaultKey: defaultProfile.key };
    /** A report whose shape is wrong: no node, one error about the object itself. */
    const refused = (message: string): ParsedReport => ({
      ...base,
      raw: undefined,
      node: undefined,
      errors: [{ object: name, key: '', message }],
    });
    if (key === undefined)
      return refused(`a report object's name must be "${this.configMapName}.<node name>"`);
    const keys = Object.keys(data);
    if (keys.length !== 1 || keys[0] !== key) {
      return refused(`data must hold exactly one key, "${key}" (found: ${keys.join(', ') || 'none'})`);
    }
    const errors: RangesError[] = [];
    const node = parseDataEntry(key, data[key], defaultProfile, errors, this.cache);
    return {
      ...base,
      raw: data[key],
      node,
      errors: errors.map((e) => ({ object: name, key: e.key, message: e.message })),
    };
  }
}
