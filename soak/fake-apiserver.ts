/**
 * The smallest Kubernetes API the soak run needs: LIST and WATCH for the five resources
 * the informers follow, with a ranges ConfigMap the soak rewrites while load runs. The
 * test suite has a fuller list/watch server (test/support); the soak ships in the build,
 * which does not include test code, so it carries its own.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are untyped JSON here.
type Obj = any;

export const CM_NAMESPACE = 'portguard-system';
export const CM_NAME = 'portguard-node-ranges';

interface Watcher {
  resource: string;
  res: ServerResponse;
}

/** A fake apiserver holding one ConfigMap and a fixed set of nodes. */
export class FakeApiserver {
  private server: Server | undefined;
  private readonly watchers = new Set<Watcher>();
  private rv = 1;
  private configMap: Obj;
  url = '';

  constructor(
    data: Record<string, string>,
    private readonly nodes: string[],
  ) {
    this.configMap = this.cm(data);
  }

  private cm(data: Record<string, string>): Obj {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CM_NAME, namespace: CM_NAMESPACE, resourceVersion: String(++this.rv), uid: 'cm-uid' },
      data,
    };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const resource = url.pathname.split('/').pop() ?? '';
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const w = { resource, res };
        this.watchers.add(w);
        res.on('close', () => this.watchers.delete(w));
        return;
      }
      const items = this.items(resource);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'List',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(this.rv) },
          items,
        }),
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private items(resource: string): Obj[] {
    switch (resource) {
      case 'configmaps':
        return [this.configMap];
      case 'nodes':
        return this.nodes.map((name) => ({
          metadata: { name, resourceVersion: '1', labels: { 'kubernetes.io/hostname': name } },
        }));
      default:
        return [];
    }
  }

  /** Replaces the ConfigMap data and streams a MODIFIED event to the ConfigMap watches. */
  updateConfigMap(data: Record<string, string>): void {
    this.configMap = this.cm(data);
    const line = `${JSON.stringify({ type: 'MODIFIED', object: this.configMap })}\n`;
    for (const w of this.watchers) if (w.resource === 'configmaps') w.res.write(line);
  }

  /** A kubeconfig (YAML is a JSON superset) pointing at this server without credentials. */
  kubeconfig(): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses plain http unless TLS verification is explicitly off.
      clusters: [{ name: 'soak', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'soak', user: {} }],
      contexts: [{ name: 'soak', context: { cluster: 'soak', user: 'soak' } }],
      'current-context': 'soak',
    });
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
