/**
 * A tiny fake apiserver for audit and dev tests: any group/version/resource, paged
 * LIST (`limit` + `continue`, with an optional expired token answering 410, and
 * equality label selectors), GET, POST,
 * PUT and DELETE, and a 403 for resources a test forbids. The shared list/watch server
 * in test/support does watches but not paging or the apps, batch, wgpolicyk8s.io and
 * admissionregistration groups, which audit and dev need.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '../../src/kube/k8s.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are untyped JSON here.
type Obj = any;

interface Route {
  gv: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Obj;
}

function parsePath(path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean);
  let rest: string[];
  let gv: string;
  if (parts[0] === 'api' && parts[1]) {
    gv = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts[1] && parts[2]) {
    gv = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (!rest[0]) return undefined;
  return { gv, namespace, resource: rest[0], name: rest[1] };
}

/** Equality terms only (`a=b,c=d`), which is all the clients under test send. */
function labelSelector(text: string | undefined): (obj: Obj) => boolean {
  const terms = (text ?? '')
    .split(',')
    .filter(Boolean)
    .map((t) => t.split('='));
  return (obj) => terms.every(([k, v]) => obj.metadata?.labels?.[k ?? ''] === v);
}

function status(code: number, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, message };
}

export class FakeApiServer {
  readonly requests: LoggedRequest[] = [];
  /** `gv|resource` → `ns/name` → object. */
  private readonly store = new Map<string, Map<string, Obj>>();
  /** `gv|resource` keys answered with 403. */
  readonly forbidden = new Set<string>();
  /** Continue tokens answered once with 410 Gone. */
  private readonly expireNext = new Set<string>();
  private server: Server | undefined;
  private rv = 1;
  url = '';

  /** Adds objects of one resource, e.g. `add('apps/v1', 'deployments', [...])`. */
  add(gv: string, resource: string, objs: Obj[]): this {
    for (const o of objs) this.put(gv, resource, o);
    return this;
  }

  get(gv: string, resource: string, name: string, namespace = ''): Obj {
    return this.collection(gv, resource).get(`${namespace}/${name}`);
  }

  list(gv: string, resource: string): Obj[] {
    return [...this.collection(gv, resource).values()];
  }

  forbid(gv: string, resource: string): this {
    this.forbidden.add(`${gv}|${resource}`);
    return this;
  }

  /** The next request continuing from page `page` of `resource` gets 410 Gone. */
  expireContinue(resource: string, page: number): this {
    this.expireNext.add(`${resource}:${page}`);
    return this;
  }

  /** LIST requests seen for a resource, in order, with their query. */
  lists(resource: string): Record<string, string>[] {
    return this.requests
      .filter(
        (r) => r.method === 'GET' && parsePath(r.path)?.resource === resource && !parsePath(r.path)?.name,
      )
      .map((r) => r.query);
  }

  private collection(gv: string, resource: string): Map<string, Obj> {
    const key = `${gv}|${resource}`;
    let m = this.store.get(key);
    if (!m) {
      m = new Map();
      this.store.set(key, m);
    }
    return m;
  }

  private put(gv: string, resource: string, obj: Obj): Obj {
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    stored.metadata.uid ??= `uid-${resource}-${stored.metadata.namespace ?? ''}-${stored.metadata.name}`;
    this.collection(gv, resource).set(`${stored.metadata.namespace ?? ''}/${stored.metadata.name}`, stored);
    return stored;
  }

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : undefined;
      const query = Object.fromEntries(url.searchParams);
      const method = req.method ?? 'GET';
      this.requests.push({ method, path: url.pathname, query, body });
      const send = (code: number, obj: Obj) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const route = parsePath(url.pathname);
      if (!route) return send(404, status(404, `no route ${url.pathname}`));
      if (this.forbidden.has(`${route.gv}|${route.resource}`)) return send(403, status(403, 'forbidden'));
      const items = this.collection(route.gv, route.resource);
      const key = `${route.namespace ?? ''}/${route.name ?? body?.metadata?.name ?? ''}`;
      if (method === 'GET' && !route.name && query['watch'] === 'true') {
        // Watches stay open and quiet: enough for informers that only need to start.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        return;
      }
      if (method === 'GET' && !route.name) {
        const selected = labelSelector(query['labelSelector']);
        const all = [...items.values()]
          .filter((o) => route.namespace === undefined || o.metadata.namespace === route.namespace)
          .filter(selected)
          .sort((a, b) =>
            `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
              `${b.metadata.namespace}/${b.metadata.name}`,
            ),
          );
        const start = query['continue'] ? Number(Buffer.from(query['continue'], 'base64url').toString()) : 0;
        const page = query['continue'] ? Math.round(start / Number(query['limit'] || 1)) : 0;
        if (this.expireNext.delete(`${route.resource}:${page}`))
          return send(410, status(410, 'continue token expired'));
        const limit = query['limit'] ? Number(query['limit']) : all.length;
        const slice = all.slice(start, start + limit);
        const next =
          start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
        return send(200, {
          kind: 'List',
          apiVersion: route.gv,
          metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
          items: slice.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
        });
      }
      if (method === 'POST') {
        if (items.has(key)) return send(409, status(409, 'already exists'));
        return send(
          201,
          this.put(route.gv, route.resource, {
            ...body,
            metadata: { ...body.metadata, namespace: route.namespace },
          }),
        );
      }
      const current = items.get(key);
      if (!current) return send(404, status(404, `${route.resource} ${key} not found`));
      if (method === 'GET') return send(200, current);
      if (method === 'PUT') {
        if (
          body?.metadata?.resourceVersion &&
          body.metadata.resourceVersion !== current.metadata.resourceVersion
        ) {
          return send(409, status(409, 'conflict'));
        }
        return send(
          200,
          this.put(route.gv, route.resource, {
            ...body,
            metadata: { ...body.metadata, uid: current.metadata.uid },
          }),
        );
      }
      if (method === 'DELETE') {
        items.delete(key);
        return send(200, status(200, 'deleted'));
      }
      return send(405, status(405, method));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 't', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 't', user: 'u' }],
      currentContext: 'c',
    });
    return kc;
  }
}
