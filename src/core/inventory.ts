/**
 * Index of every port held on the nodes: Service nodePorts and host ports of pods.
 * Informers and `check` feed it object by object; rules look ports up in O(1) instead
 * of scanning tens of thousands of Services per review.
 */
import { hostPortsOf, objectKey, viewOf } from './object-view.js';
import type { PortOwner, Protocol } from './types.js';

function portKey(protocol: Protocol, port: number): string {
  return `${protocol}/${port}`;
}

export class PortInventory {
  private readonly byObject = new Map<string, PortOwner[]>();
  private readonly byPort = new Map<string, Map<string, PortOwner[]>>();
  /** Reference counts per port number, any protocol: the nodePort allocator ignores protocol. */
  private readonly used = new Map<number, number>();

  /** Adds or replaces the ports held by one object. */
  upsert(object: unknown, fallbackNamespace = ''): void {
    const view = viewOf(object, fallbackNamespace);
    if (!view) return;
    const key = objectKey(view);
    this.removeKey(key);
    const owners: PortOwner[] = [];
    const base = { kind: view.kind, namespace: view.namespace, name: view.name };
    if (view.service) {
      for (const ref of view.service.nodePorts) {
        owners.push({ ...base, path: ref.path, protocol: ref.protocol, port: ref.port });
      }
    } else if (view.pod) {
      const nodeName = view.pod.spec.nodeName;
      const nodes = typeof nodeName === 'string' && nodeName !== '' ? [nodeName] : undefined;
      for (const ref of hostPortsOf(view.pod)) {
        owners.push({ ...base, path: ref.path, protocol: ref.protocol, port: ref.port, nodes });
      }
    }
    if (owners.length === 0) return;
    this.byObject.set(key, owners);
    for (const o of owners) {
      const pk = portKey(o.protocol, o.port);
      let m = this.byPort.get(pk);
      if (!m) {
        m = new Map();
        this.byPort.set(pk, m);
      }
      const list = m.get(key);
      if (list) list.push(o);
      else m.set(key, [o]);
      this.used.set(o.port, (this.used.get(o.port) ?? 0) + 1);
    }
  }

  remove(object: unknown, fallbackNamespace = ''): void {
    const view = viewOf(object, fallbackNamespace);
    if (view) this.removeKey(objectKey(view));
  }

  private removeKey(key: string): void {
    const owners = this.byObject.get(key);
    if (!owners) return;
    this.byObject.delete(key);
    for (const o of owners) {
      const pk = portKey(o.protocol, o.port);
      const m = this.byPort.get(pk);
      m?.delete(key);
      if (m && m.size === 0) this.byPort.delete(pk);
      const n = (this.used.get(o.port) ?? 1) - 1;
      if (n <= 0) this.used.delete(o.port);
      else this.used.set(o.port, n);
    }
  }

  /** Owners of a port, excluding the object under review (by kind/namespace/name key). */
  ownersOf(protocol: Protocol, port: number, excludeKey?: string): PortOwner[] {
    const m = this.byPort.get(portKey(protocol, port));
    if (!m) return [];
    const out: PortOwner[] = [];
    for (const [key, owners] of m) if (key !== excludeKey) out.push(...owners);
    return out;
  }

  isUsed(port: number): boolean {
    return this.used.has(port);
  }

  /** Every indexed owner; used by audit and tests. */
  *owners(): IterableIterator<PortOwner> {
    for (const list of this.byObject.values()) yield* list;
  }

  get objectCount(): number {
    return this.byObject.size;
  }

  clear(): void {
    this.byObject.clear();
    this.byPort.clear();
    this.used.clear();
  }
}
