/**
 * Index of every port held on the nodes: Service nodePorts and host ports of pods.
 * Informers and `check` feed it object by object; rules look ports up in O(1) instead
 * of scanning tens of thousands of Services per review.
 */
import { hostPortsOf, type ObjectView, objectKey, viewOf } from './object-view.js';
import type { PortOwner, Protocol } from './types.js';

function portKey(protocol: Protocol, port: number): string {
  return `${protocol}/${port}`;
}

/** Which owners of a port a rule asks for: Service nodePorts, or ports pods bind on the node. */
export type OwnerClass = 'service' | 'host';

function classOf(owner: PortOwner): OwnerClass {
  return owner.kind === 'Service' ? 'service' : 'host';
}

/**
 * The owners of one port, by object key, split by class. Rules ask for one class only:
 * when 1,000 host pods share a port, filtering Services out of every owner for each of
 * them was quadratic. Each key has one kind, so it lives in exactly one of the two maps.
 */
interface PortEntry {
  service: Map<string, PortOwner[]>;
  host: Map<string, PortOwner[]>;
}

export class PortInventory {
  private readonly byObject = new Map<string, PortOwner[]>();
  private readonly byPort = new Map<string, PortEntry>();
  /** Reference counts per port number, any protocol: the nodePort allocator ignores protocol. */
  private readonly used = new Map<number, number>();

  /** Adds or replaces the ports held by one object. */
  upsert(object: unknown, fallbackNamespace = ''): void {
    const view = viewOf(object, fallbackNamespace);
    if (view) this.upsertView(view);
  }

  /** `upsert` for a caller that has the object's view already (`check` builds it once per object). */
  upsertView(view: ObjectView): void {
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
      let entry = this.byPort.get(pk);
      if (!entry) {
        entry = { service: new Map(), host: new Map() };
        this.byPort.set(pk, entry);
      }
      const byKey = entry[classOf(o)];
      const list = byKey.get(key);
      if (list) list.push(o);
      else byKey.set(key, [o]);
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
      const entry = this.byPort.get(pk);
      if (entry) {
        entry[classOf(o)].delete(key);
        if (entry.service.size === 0 && entry.host.size === 0) this.byPort.delete(pk);
      }
      const n = (this.used.get(o.port) ?? 1) - 1;
      if (n <= 0) this.used.delete(o.port);
      else this.used.set(o.port, n);
    }
  }

  /**
   * Owners of a port, excluding the object under review (by kind/namespace/name key):
   * Services first, then host ports, each in the order their objects were last upserted.
   */
  ownersOf(protocol: Protocol, port: number, excludeKey?: string): PortOwner[] {
    return [
      ...this.ownersOfClass('service', protocol, port, excludeKey),
      ...this.ownersOfClass('host', protocol, port, excludeKey),
    ];
  }

  /** The owners of one class only, without visiting the other class. */
  ownersOfClass(cls: OwnerClass, protocol: Protocol, port: number, excludeKey?: string): PortOwner[] {
    const entry = this.byPort.get(portKey(protocol, port));
    return entry ? collect(entry[cls], excludeKey) : [];
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

function collect(byKey: Map<string, PortOwner[]>, excludeKey: string | undefined): PortOwner[] {
  const out: PortOwner[] = [];
  for (const [key, owners] of byKey) if (key !== excludeKey) for (const o of owners) out.push(o);
  return out;
}
