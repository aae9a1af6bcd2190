/**
 * Which object of a ranges input holds the node data, when the input holds several:
 * `kubectl get cm -o yaml` prints a `kind: List`, and a file may hold several YAML
 * documents. Exactly one object may look like the node-ranges ConfigMap; none or several
 * is an error that lists what each object is, since guessing would let CI pass on data
 * nobody chose. Pure: the loader passes the parsed objects in.
 */
import { DEFAULT_KEY, NODE_KEY_PREFIX, NODE_PORT_RANGE_KEY } from '../core/node-ranges.js';
import { RangesFileError } from '../core/ranges-error.js';
import { NODE_REPORT_LABEL } from '../kube/node-reports.js';

/** One object of the input and where it is. */
export interface RangesSource {
  value: unknown;
  /** 1-based line where the object starts. */
  line: number;
  /** `document 2` or `item 3 of the List`, for messages. */
  where: string;
}

/** The chosen object's data map and how messages name it. */
export interface PickedRanges {
  data: Record<string, unknown>;
  /** `file:line (where, ConfigMap ns/name)`, or the file alone when it held one object. */
  label: string;
  /** Names of node report objects that were left out (their data is not read from a file). */
  skippedReports: string[];
}

/** Objects listed in an error; a List of a whole cluster's ConfigMaps can be long. */
const MAX_LISTED = 20;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Picks the data map out of one parsed object: `kind: ConfigMap` (or a bare `data:` map)
 * uses `.data`; anything else is taken as the data map itself. `file` names the object in
 * errors.
 */
export function rangesDataOf(doc: unknown, file: string): Record<string, unknown> {
  if (!isPlainObject(doc)) {
    throw new RangesFileError(file, [], 'expected a ConfigMap or a map of ConfigMap data keys');
  }
  if (doc.kind === 'ConfigMap') {
    if (doc.data === undefined || doc.data === null) return {};
    if (!isPlainObject(doc.data)) throw new RangesFileError(file, [], 'ConfigMap data must be a map');
    return doc.data;
  }
  // A ConfigMap fragment without kind (`data:` only) is common in hand-written files.
  if (doc.kind === undefined && isPlainObject(doc.data)) return doc.data;
  if (typeof doc.kind === 'string') {
    throw new RangesFileError(file, [], `expected a ConfigMap, found kind ${doc.kind}`);
  }
  return doc;
}

/** `ConfigMap ns/name`, `Service name`, or `a map without kind`. */
export function describeObject(value: unknown): string {
  if (!isPlainObject(value))
    return Array.isArray(value) ? 'a YAML list' : `the value ${JSON.stringify(value)}`;
  const meta = isPlainObject(value.metadata) ? value.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : undefined;
  const ns = typeof meta.namespace === 'string' ? meta.namespace : undefined;
  const kind = typeof value.kind === 'string' ? value.kind : 'a map without kind';
  return name === undefined ? kind : `${kind} ${ns ? `${ns}/` : ''}${name}`;
}

function isNodeReport(value: Record<string, unknown>): boolean {
  const meta = value.metadata;
  return isPlainObject(meta) && isPlainObject(meta.labels) && meta.labels[NODE_REPORT_LABEL] !== undefined;
}

function isRangesKey(key: string): boolean {
  return key === NODE_PORT_RANGE_KEY || key === DEFAULT_KEY || key.startsWith(NODE_KEY_PREFIX);
}

/** Why `value` is not the node-ranges ConfigMap, or undefined when it could be. */
function rejection(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'not a map';
  if (value.kind !== undefined && value.kind !== 'ConfigMap') return 'not a ConfigMap';
  if (isNodeReport(value)) return 'a node report object';
  const data = value.kind === 'ConfigMap' || isPlainObject(value.data) ? value.data : value;
  if (!isPlainObject(data)) return 'no data';
  if (!Object.keys(data).some(isRangesKey)) {
    return `no ${NODE_PORT_RANGE_KEY}, ${DEFAULT_KEY} or ${NODE_KEY_PREFIX}<name> key`;
  }
  return undefined;
}

function listed(lines: string[]): string {
  const shown = lines.slice(0, MAX_LISTED).map((l) => `\n  ${l}`);
  if (lines.length > MAX_LISTED) shown.push(`\n  ... and ${lines.length - MAX_LISTED} more`);
  return shown.join('');
}

const at = (s: RangesSource) => `${s.where} (line ${s.line})`;

/**
 * The node data among `sources`. A single object that is not a List item is read as
 * before lists and documents were supported (a ConfigMap, a `data:` fragment or a bare
 * data map, with its errors); otherwise the one object with a node-ranges key is used.
 */
export function pickRangesData(sources: RangesSource[], file: string, fromList: boolean): PickedRanges {
  if (sources.length === 1 && !fromList) {
    return { data: rangesDataOf(sources[0]!.value, file), label: file, skippedReports: [] };
  }
  if (sources.length === 0) {
    throw new RangesFileError(
      file,
      [],
      fromList
        ? 'the List has no items; expected the node-ranges ConfigMap'
        : 'expected a ConfigMap or a map of ConfigMap data keys',
    );
  }
  const candidates: RangesSource[] = [];
  const rejected: string[] = [];
  const skippedReports: string[] = [];
  for (const s of sources) {
    const why = rejection(s.value);
    if (why === undefined) candidates.push(s);
    else rejected.push(`${at(s)}: ${describeObject(s.value)}: ${why}`);
    if (why === 'a node report object')
      skippedReports.push(describeObject(s.value).replace(/^ConfigMap /, ''));
  }
  if (candidates.length > 1) {
    const names = candidates.map((s) => `${at(s)}: ${describeObject(s.value)}`);
    throw new RangesFileError(
      file,
      [],
      `${candidates.length} objects could be the node-ranges ConfigMap; give only one ` +
        `(for example kubectl get configmap NAME -o yaml):${listed(names)}`,
    );
  }
  const picked = candidates[0];
  if (!picked) {
    throw new RangesFileError(
      file,
      [],
      `no node-ranges ConfigMap among ${sources.length} objects (it has a ${NODE_PORT_RANGE_KEY}, ` +
        `${DEFAULT_KEY} or ${NODE_KEY_PREFIX}<name> data key):${listed(rejected)}`,
    );
  }
  const label = `${file}:${picked.line} (${picked.where}, ${describeObject(picked.value)})`;
  return { data: rangesDataOf(picked.value, label), label, skippedReports };
}
