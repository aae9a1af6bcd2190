/**
 * Node ports this replica assigned that its Service informer may not show yet. The
 * apiserver stores a Service, etcd commits it and the watch delivers it some milliseconds
 * (seconds under load) after /mutate answered; a burst of creates in that window would
 * otherwise be handed the same free port, and all but the first fail with 422 "provided
 * port is already allocated". planMutation picks around these ports (it receives them as
 * data; the core keeps no memory and reads no clock).
 *
 * A reservation ends when the inventory shows a Service holding its port and protocol (the
 * inventory avoids the port from then on) or when its TTL runs out (the create was rejected
 * later in admission, or failed, and will never show up).
 *
 * Size: each port number is reserved at most once (picks skip reserved ports, and a retry
 * of the same object reuses its own), so the map never holds more entries than the
 * NodePort range has ports (2,768 by default, 65,535 at most), however many creates arrive.
 */
import type { PortInventory } from '../core/inventory.js';
import type { Assignment, RecentAssignments } from '../core/mutate.js';
import { isObject } from '../core/object-view.js';

/**
 * 30 s: far above the usual apiserver → etcd → watch round trip (well under a second), and
 * enough for a create that still waits on the admission steps after /mutate (our
 * validating webhook times out after 5 s, other webhooks may take up to 30 s) plus watch
 * lag under load. Short enough that a create rejected after /mutate (denied by validation,
 * over quota) holds its port for at most half a minute.
 */
export const DEFAULT_RESERVATION_TTL_MS = 30_000;

interface Reservation extends Assignment {
  key: string;
  expiresAt: number;
}

export interface NodePortReservationsOptions {
  /** Monotonic milliseconds (`performance.now` in `serve`): a wall-clock step must not expire or extend reservations. */
  now: () => number;
  ttlMs?: number;
}

/** Keys a reservation to the object, so that a retried create (new uid) gets the same ports. */
export function reservationKey(uid: string, namespace: string | undefined, object: unknown): string {
  const meta = isObject(object) && isObject(object.metadata) ? object.metadata : {};
  // generateName: every create is a different object; only reinvocations share the uid.
  if (typeof meta.name !== 'string' || meta.name === '') return `uid:${uid}`;
  const ns = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : (namespace ?? '');
  return `${ns}/${meta.name}`;
}

export class NodePortReservations {
  private readonly byPort = new Map<number, Reservation>();
  /** Object key → slot → port, for retries of the same object. */
  private readonly byKey = new Map<string, Map<string, number>>();
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(opts: NodePortReservationsOptions) {
    this.now = opts.now;
    this.ttlMs = opts.ttlMs ?? DEFAULT_RESERVATION_TTL_MS;
  }

  /** What planMutation needs for the object with this key. */
  recentFor(key: string): RecentAssignments {
    const mine = new Map<string, number>();
    for (const [slot, port] of this.byKey.get(key) ?? []) if (this.live(port)) mine.set(slot, port);
    return { reserved: { has: (port) => this.live(port) }, mine };
  }

  /** Reserves a plan's picks for `key` (refreshing the TTL of ports it already held). */
  remember(key: string, assigned: readonly Assignment[], inventory: PortInventory): void {
    this.prune(inventory);
    const expiresAt = this.now() + this.ttlMs;
    for (const a of assigned) {
      const earlier = this.byKey.get(key)?.get(a.slot);
      if (earlier !== undefined && earlier !== a.port) this.drop(earlier);
      this.drop(a.port);
      this.byPort.set(a.port, { ...a, key, expiresAt });
      let slots = this.byKey.get(key);
      if (!slots) {
        slots = new Map();
        this.byKey.set(key, slots);
      }
      slots.set(a.slot, a.port);
    }
  }

  /**
   * Forgets expired reservations and those the inventory shows held by a Service. One pass
   * over at most the NodePort range, run only by requests that assigned a port.
   */
  prune(inventory: PortInventory): void {
    const now = this.now();
    for (const r of this.byPort.values()) {
      const shown =
        inventory.isUsed(r.port) && inventory.ownersOfClass('service', r.protocol, r.port).length > 0;
      if (shown || r.expiresAt <= now) this.drop(r.port);
    }
  }

  /**
   * Unexpired reservations, for the gauge. Those whose Service the informer has shown are
   * counted until the next assignment prunes them or their TTL ends.
   */
  liveCount(): number {
    let n = 0;
    for (const r of this.byPort.keys()) if (this.live(r)) n++;
    return n;
  }

  /** Reservations held, including expired ones not yet pruned. */
  get size(): number {
    return this.byPort.size;
  }

  private live(port: number): boolean {
    const r = this.byPort.get(port);
    return r !== undefined && r.expiresAt > this.now();
  }

  private drop(port: number): void {
    const r = this.byPort.get(port);
    if (!r) return;
    this.byPort.delete(port);
    const slots = this.byKey.get(r.key);
    if (slots?.get(r.slot) === port) slots.delete(r.slot);
    if (slots?.size === 0) this.byKey.delete(r.key);
  }
}
