/**
 * A small real HTTP server that speaks enough of the Kubernetes API for
 * @kubernetes/client-node: LIST (paged by `limit` and `continue`, in key order, with field
 * and label selectors), WATCH (newline-delimited events with resourceVersion replay), GET,
 * POST, PUT (with optimistic concurrency), merge PATCH and DELETE, for any group, version
 * and resource. Core services, pods, nodes, namespaces, configmaps and coordination.k8s.io
 * leases are named by their plural and get their kind and scope filled in; any other
 * resource is named `group/version/plural` and stored as written.
 *
 * Tests drive it through `emit()` and break it on purpose with `breakWatches()`,
 * `expireResourceVersion()`, `expireContinue()`, `failRequests()` and `forbid()`;
 * `holdEvents()` and `releaseEvents()` make watches lag the store by as many events as a
 * test chooses, the way a loaded apiserver delivers them late. `stallRequests()` leaves
 * requests unanswered (a hung apiserver) until `resumeRequests()`. It keeps a log of every
 * request so tests can assert what a client did (for example "the reporter patched only its
 * own key", or the `limit` and `continue` of each LIST through `lists()`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '../../src/kube/k8s.js';
import { kubeConfigForServer } from '../../src/kube/load-kubeconfig.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are untyped JSON here.
type Obj = any;

export type KnownResource = 'services' | 'pods' | 'nodes' | 'configmaps' | 'leases' | 'namespaces';
/** A known resource by its plural, or any other as `group/version/plural` (`v1/plural` for core). */
export type Resource = KnownResource | `${string}/${string}`;
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface ResourceInfo {
  kind?: string;
  apiVersion: string;
  /** Unset for resources outside the table: an object is namespaced when it names a namespace. */
  namespaced?: boolean;
}

const RESOURCES: Record<KnownResource, ResourceInfo> = {
  services: { kind: 'Service', apiVersion: 'v1', namespaced: true },
  pods: { kind: 'Pod', apiVersion: 'v1', namespaced: true },
  nodes: { kind: 'Node', apiVersion: 'v1', namespaced: false },
  namespaces: { kind: 'Namespace', apiVersion: 'v1', namespaced: false },
  configmaps: { kind: 'ConfigMap', apiVersion: 'v1', namespaced: true },
  leases: { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', namespaced: true },
};

function isKnown(resource: string): resource is KnownResource {
  return Object.hasOwn(RESOURCES, resource);
}

/** One name per resource, so `v1/services` and `services` share a store. */
function resourceId(apiVersion: string, plural: string): Resource {
  return isKnown(plural) && RESOURCES[plural].apiVersion === apiVersion ? plural : `${apiVersion}/${plural}`;
}

function canonical(resource: Resource): Resource {
  const slash = resource.lastIndexOf('/');
  return slash < 0 ? resource : resourceId(resource.slice(0, slash), resource.slice(slash + 1));
}

function infoOf(resource: Resource): ResourceInfo {
  return isKnown(resource)
    ? RESOURCES[resource]
    : { apiVersion: resource.slice(0, resource.lastIndexOf('/')) };
}

/** Where the next page starts, and which page of the list it is (the first is 0). */
interface ContinueToken {
  start: number;
  page: number;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return Number.isInteger(token?.start) && Number.isInteger(token?.page) ? token : undefined;
  } catch {
    return undefined;
  }
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  body: Obj;
}

interface Route {
  resource: Resource;
  namespace: string | undefined;
  name: string | undefined;
}

interface ActiveWatch {
  resource: Resource;
  namespace: string | undefined;
  selector: FieldSelector;
  res: ServerResponse;
}

interface HistoryEvent {
  rv: number;
  resource: Resource;
  type: EventType;
  object: Obj;
}

type FieldSelector = (obj: Obj) => boolean;

/** Equality terms (`a=b`, `a==b`, `a!=b`) and existence (`a`, `!a`), as the apiserver's label selector. */
function parseLabelSelector(text: string | undefined): FieldSelector {
  if (!text) return () => true;
  const terms = text.split(',').map((term) => {
    const m = /^(!?)([^!=]+?)(?:(==|!=|=)(.*))?$/.exec(term.trim());
    if (!m) throw new Error(`bad label selector term ${term}`);
    return { absent: m[1] === '!', key: m[2] ?? '', op: m[3], value: m[4] ?? '' };
  });
  return (obj) =>
    terms.every(({ absent, key, op, value }) => {
      const labels: Record<string, string> = obj?.metadata?.labels ?? {};
      const has = Object.hasOwn(labels, key);
      if (!op) return absent ? !has : has;
      return op === '!=' ? labels[key] !== value : labels[key] === value;
    });
}

function selectorOf(query: Record<string, string>): FieldSelector {
  const field = parseFieldSelector(query['fieldSelector']);
  const label = parseLabelSelector(query['labelSelector']);
  return (obj) => field(obj) && label(obj);
}

/** Deep equality of JSON values, for the apiserver's no-op write detection. */
function sameJson(a: Obj, b: Obj): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(v: Obj): Obj {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}

function parseFieldSelector(text: string | undefined): FieldSelector {
  if (!text) return () => true;
  const terms = text.split(',').map((term) => {
    const m = /^([^!=]+)(==|!=|=)(.*)$/.exec(term);
    if (!m) throw new Error(`bad field selector term ${term}`);
    return { field: m[1] ?? '', negate: m[2] === '!=', value: m[3] ?? '' };
  });
  return (obj) =>
    terms.every(({ field, negate, value }) => {
      let v: Obj = obj;
      for (const part of field.split('.')) v = v?.[part];
      // The apiserver compares field values as strings; unset booleans read as "false".
      const actual =
        v === undefined || v === null ? (field === 'spec.hostNetwork' ? 'false' : '') : String(v);
      return negate ? actual !== value : actual === value;
    });
}

function mergePatch(target: Obj, patch: Obj): Obj {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export interface ListWatchServerOptions {
  /** Objects present before any client connects. */
  seed?: Partial<Record<Resource, Obj[]>>;
}

/** A running fake apiserver; see the module comment. */
export class ListWatchServer {
  readonly requests: LoggedRequest[] = [];
  private readonly store = new Map<Resource, Map<string, Obj>>();
  /** `resource:page` of continue tokens answered once with 410 Gone. */
  private readonly expiredPages = new Set<string>();
  private readonly history: HistoryEvent[] = [];
  private readonly watches = new Set<ActiveWatch>();
  private rv = 100;
  private readonly failures = new Map<Resource, { count: number; code: number }>();
  /** Watches asking for a resourceVersion at or below this get 410 Gone. */
  private expiredThrough = 0;
  private server: Server | undefined;
  /** Watch events published while held, oldest first; undefined while events flow. */
  private held: { resource: Resource; object: Obj; line: string }[] | undefined;
  private readonly stalling = new Set<Resource>();
  private stalled: (() => void)[] = [];
  url = '';

  constructor(options: ListWatchServerOptions = {}) {
    for (const [resource, objs] of Object.entries(options.seed ?? {}) as [Resource, Obj[]][]) {
      for (const obj of objs) this.put(canonical(resource), obj);
    }
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.send(res, 500, status(500, 'InternalError', String(err)));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.res.destroy();
    this.watches.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A KubeConfig pointing at this server with no credentials. */
  kubeConfig(): KubeConfig {
    return kubeConfigForServer(this.url);
  }

  /** Applies a change to the store and streams it to matching watches. Returns the stored object. */
  emit(resource: Resource, type: EventType, obj: Obj): Obj {
    resource = canonical(resource);
    if (type === 'DELETED') {
      const key = this.keyOf(resource, obj);
      const old = this.objects(resource).get(key);
      if (!old) throw new Error(`emit DELETED: ${resource} ${key} does not exist`);
      this.objects(resource).delete(key);
      const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
      this.publish(resource, 'DELETED', gone);
      return gone;
    }
    const stored = this.put(resource, obj);
    this.publish(resource, type, stored);
    return stored;
  }

  /** Current stored object, or undefined. */
  get(resource: Resource, name: string, namespace?: string): Obj {
    return this.objects(canonical(resource)).get(`${namespace ?? ''}/${name}`);
  }

  list(resource: Resource): Obj[] {
    return [...this.objects(canonical(resource)).values()];
  }

  /**
   * Cuts every open watch. `abrupt` (the default) writes half an event and destroys the
   * socket, the way a dropped connection looks; otherwise the stream ends cleanly.
   */
  breakWatches(mode: 'abrupt' | 'clean' = 'abrupt'): number {
    const n = this.watches.size;
    for (const w of this.watches) {
      if (mode === 'abrupt') {
        w.res.write('{"type":"MODIFIED","object":{"kind":');
        w.res.destroy();
      } else {
        w.res.end();
      }
    }
    this.watches.clear();
    return n;
  }

  /**
   * Compacts history: every resourceVersion handed out so far becomes too old. Open
   * watches get an ERROR event carrying a 410 Gone Status and are closed, as the
   * apiserver does, and later watches from an old resourceVersion get the same answer.
   */
  expireResourceVersion(): void {
    this.expiredThrough = this.rv;
    for (const w of this.watches) {
      w.res.end(`${JSON.stringify({ type: 'ERROR', object: this.goneStatus() })}\n`);
    }
    this.watches.clear();
  }

  /** Answers the next `count` requests for `resource` (any verb) with an error Status. */
  failRequests(resource: Resource, count: number, code = 500): void {
    this.failures.set(canonical(resource), { count, code });
  }

  /** Answers every request for `resource` with 403, as RBAC does for a role without it. */
  forbid(resource: Resource): this {
    this.failRequests(resource, Number.POSITIVE_INFINITY, 403);
    return this;
  }

  /**
   * The next LIST of `resource` continuing to page `page` (the first page is 0) gets 410
   * Gone, as the apiserver answers a continue token whose resourceVersion was compacted.
   */
  expireContinue(resource: Resource, page: number): this {
    this.expiredPages.add(`${canonical(resource)}:${page}`);
    return this;
  }

  /**
   * From now on, queues watch events instead of streaming them: the store and LIST change
   * at once, open watches see the change only on `releaseEvents`. A watch opened meanwhile
   * replays history, held events included (as a relist would show them).
   */
  holdEvents(): void {
    this.held ??= [];
  }

  /** Streams the oldest `count` held events (all by default) to the open watches; returns how many. */
  releaseEvents(count = Number.POSITIVE_INFINITY): number {
    const out = this.held?.splice(0, count) ?? [];
    for (const e of out) this.write(e.resource, e.object, e.line);
    return out.length;
  }

  /** Events held back from the watches so far. */
  get heldCount(): number {
    return this.held?.length ?? 0;
  }

  /** From now on, requests for `resource` are logged and then left unanswered until resumed. */
  stallRequests(resource: Resource): void {
    this.stalling.add(canonical(resource));
  }

  /** Answers the stalled requests and stops stalling; returns how many were waiting. */
  resumeRequests(): number {
    this.stalling.clear();
    const waiting = this.stalled.splice(0);
    for (const go of waiting) go();
    return waiting.length;
  }

  /** Requests waiting on `resumeRequests()`. */
  get stalledCount(): number {
    return this.stalled.length;
  }

  /** Number of open watch streams, optionally for one resource. */
  watchCount(resource?: Resource): number {
    const id = resource && canonical(resource);
    let n = 0;
    for (const w of this.watches) if (!id || w.resource === id) n++;
    return n;
  }

  /** The query of every LIST request seen so far for a resource, in order (watches excluded). */
  lists(resource: Resource): Record<string, string>[] {
    const id = canonical(resource);
    return this.requests
      .filter((r) => {
        const route = this.route(r.path);
        return (
          r.method === 'GET' &&
          r.query['watch'] !== 'true' &&
          route?.resource === id &&
          route.name === undefined
        );
      })
      .map((r) => r.query);
  }

  /** LIST requests seen so far for a resource (watch requests excluded). */
  listCount(resource: Resource): number {
    return this.lists(resource).length;
  }

  private goneStatus(): Obj {
    return status(410, 'Expired', 'too old resource version');
  }

  /** Objects of a resource, by `namespace/name` (`/name` when cluster-scoped). */
  private objects(resource: Resource): Map<string, Obj> {
    let objects = this.store.get(resource);
    if (!objects) {
      objects = new Map();
      this.store.set(resource, objects);
    }
    return objects;
  }

  private put(resource: Resource, obj: Obj): Obj {
    const info = infoOf(resource);
    const stored = {
      ...(info.kind ? { apiVersion: info.apiVersion, kind: info.kind } : {}),
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(++this.rv) },
    };
    if (info.namespaced && !stored.metadata.namespace) stored.metadata.namespace = 'default';
    if (!stored.metadata.uid) stored.metadata.uid = `uid-${stored.metadata.name}`;
    this.objects(resource).set(this.keyOf(resource, stored), stored);
    return stored;
  }

  private keyOf(resource: Resource, obj: Obj): string {
    const { namespaced } = infoOf(resource);
    const ns = namespaced === false ? '' : (obj.metadata?.namespace ?? (namespaced ? 'default' : ''));
    return `${ns}/${obj.metadata?.name}`;
  }

  private publish(resource: Resource, type: EventType, object: Obj): void {
    this.history.push({ rv: Number(object.metadata.resourceVersion), resource, type, object });
    const line = `${JSON.stringify({ type, object })}\n`;
    if (this.held) this.held.push({ resource, object, line });
    else this.write(resource, object, line);
  }

  private write(resource: Resource, object: Obj, line: string): void {
    for (const w of this.watches) {
      if (this.matches(w, resource, object)) {
        w.res.write(line);
        this.watchBytes += Buffer.byteLength(line);
      }
    }
  }

  /** Bytes of watch events written to every open watch so far (what the clients received). */
  watchBytes = 0;
  /** Bytes of request bodies received so far (what the clients wrote). */
  requestBytes = 0;

  private matches(
    w: { resource: Resource; namespace: string | undefined; selector: FieldSelector },
    resource: Resource,
    obj: Obj,
  ): boolean {
    if (w.resource !== resource) return false;
    if (w.namespace !== undefined && obj.metadata?.namespace !== w.namespace) return false;
    return w.selector(obj);
  }

  private route(path: string): Route | undefined {
    const parts = path.split('/').filter(Boolean);
    let apiVersion: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1]) {
      apiVersion = parts[1];
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts[1] && parts[2]) {
      apiVersion = `${parts[1]}/${parts[2]}`;
      rest = parts.slice(3);
    } else return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (!rest[0]) return undefined;
    return { resource: resourceId(apiVersion, rest[0]), namespace, name: rest[1] };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    this.requestBytes += Buffer.byteLength(text);
    let body: Obj;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      this.send(res, 400, status(400, 'BadRequest', 'body is not JSON'));
      return;
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query, contentType: req.headers['content-type'], body });
    const route = this.route(url.pathname);
    if (!route) {
      this.send(res, 404, status(404, 'NotFound', `no route for ${url.pathname}`));
      return;
    }
    if (this.stalling.has(route.resource)) await new Promise<void>((go) => this.stalled.push(go));
    const failure = this.failures.get(route.resource);
    if (failure && failure.count > 0) {
      failure.count--;
      this.send(res, failure.code, status(failure.code, 'InternalError', 'injected failure'));
      return;
    }
    const key = this.keyOf(route.resource, {
      metadata: { namespace: route.namespace, name: route.name ?? '' },
    });
    const objects = this.objects(route.resource);
    if (method === 'GET' && route.name === undefined) {
      if (query['watch'] === 'true') this.startWatch(route, query, res);
      else this.sendList(route, query, res);
      return;
    }
    if (method === 'POST' && route.name === undefined) {
      const ns = route.namespace ?? body?.metadata?.namespace;
      const name = body?.metadata?.name;
      if (objects.has(this.keyOf(route.resource, { metadata: { namespace: ns, name } }))) {
        this.send(res, 409, status(409, 'AlreadyExists', `${route.resource} "${name}" already exists`));
        return;
      }
      const created = this.emit(route.resource, 'ADDED', {
        ...body,
        metadata: { ...body.metadata, namespace: ns },
      });
      this.send(res, 201, created);
      return;
    }
    const current = objects.get(key);
    if (!current) {
      this.send(res, 404, status(404, 'NotFound', `${route.resource} "${route.name}" not found`));
      return;
    }
    if (method === 'GET') {
      this.send(res, 200, current);
    } else if (method === 'PUT') {
      const want = body?.metadata?.resourceVersion;
      if (want !== undefined && want !== '' && want !== current.metadata.resourceVersion) {
        this.send(res, 409, status(409, 'Conflict', 'the object has been modified'));
        return;
      }
      // The apiserver keeps the object's uid and its place, whatever the body says.
      const metadata = {
        ...body?.metadata,
        namespace: current.metadata.namespace,
        uid: current.metadata.uid,
      };
      this.send(res, 200, this.emit(route.resource, 'MODIFIED', { ...body, metadata }));
    } else if (method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/merge-patch+json') {
        this.send(
          res,
          415,
          status(415, 'UnsupportedMediaType', `unsupported ${req.headers['content-type']}`),
        );
        return;
      }
      const patched = mergePatch(current, body);
      // As the apiserver does: a write that changes nothing stores nothing and sends no event.
      const { resourceVersion: _a, ...before } = current.metadata;
      const { resourceVersion: _b, ...after } = patched.metadata ?? {};
      if (sameJson({ ...current, metadata: before }, { ...patched, metadata: after })) {
        this.send(res, 200, current);
        return;
      }
      this.send(res, 200, this.emit(route.resource, 'MODIFIED', patched));
    } else if (method === 'DELETE') {
      this.send(res, 200, this.emit(route.resource, 'DELETED', current));
    } else {
      this.send(res, 405, status(405, 'MethodNotAllowed', method));
    }
  }

  private sendList(route: Route, query: Record<string, string>, res: ServerResponse): void {
    const info = infoOf(route.resource);
    const selector = selectorOf(query);
    const token = query['continue'] ? decodeContinue(query['continue']) : { start: 0, page: 0 };
    if (!token) {
      this.send(res, 400, status(400, 'BadRequest', 'continue token is not valid'));
      return;
    }
    if (this.expiredPages.delete(`${route.resource}:${token.page}`)) {
      this.send(res, 410, status(410, 'Expired', 'continue token expired'));
      return;
    }
    // The apiserver lists in key order (namespace, then name), so pages never overlap.
    const items = [...this.objects(route.resource).entries()]
      .filter(([, o]) =>
        this.matches({ resource: route.resource, namespace: route.namespace, selector }, route.resource, o),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
    const limit = Number(query['limit']) || items.length;
    const end = token.start + limit;
    const next = end < items.length ? encodeContinue({ start: end, page: token.page + 1 }) : undefined;
    this.send(res, 200, {
      kind: info.kind ? `${info.kind}List` : 'List',
      apiVersion: info.apiVersion,
      metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
      // The apiserver leaves kind and apiVersion off list items.
      items: items.slice(token.start, end).map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
    });
  }

  private startWatch(route: Route, query: Record<string, string>, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const from = Number(query['resourceVersion'] || this.rv);
    if (this.expiredThrough > 0 && from <= this.expiredThrough) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: this.goneStatus() })}\n`);
      return;
    }
    const watch: ActiveWatch = {
      resource: route.resource,
      namespace: route.namespace,
      selector: selectorOf(query),
      res,
    };
    for (const e of this.history) {
      if (e.rv > from && this.matches(watch, e.resource, e.object)) {
        res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
      }
    }
    this.watches.add(watch);
    res.on('close', () => this.watches.delete(watch));
  }

  private send(res: ServerResponse, code: number, body: Obj): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

/** Starts a server on 127.0.0.1 with an ephemeral port. */
export function startListWatchServer(options?: ListWatchServerOptions): Promise<ListWatchServer> {
  return new ListWatchServer(options).start();
}

/** Polls `check` until it returns a truthy value or throws no more; fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A logger that records every call, for asserting what was logged. */
export function recordingLogger(): {
  // biome-ignore lint/suspicious/noExplicitAny: log records are free-form.
  records: { level: string; obj: Record<string, any>; msg: string }[];
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
} {
  const records: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => {
    records.push({ level, obj, msg });
  };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
