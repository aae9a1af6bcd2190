/**
 * One client-node informer (ListWatch) plus what the library leaves to its caller:
 * restarting after an error with exponential backoff and jitter, knowing when the
 * initial list has been applied, and seeing every full (re)list as one batch.
 *
 * How client-node 2.0 behaves, read from its `cache.ts`/`watch.ts`:
 * - A watch that ends cleanly is reopened from the last resourceVersion (the library
 *   waits 1 s, 2 s, ... up to 30 s between quiet reconnects, via `delayFn`).
 * - A 410 Gone (an ERROR event with code 410, or an HTTP 410) clears the
 *   resourceVersion, so the next connect relists, then diffs the list against its cache
 *   and fires add/update/delete per object.
 * - Any other failure (list error, dropped connection, HTTP error) is reported on
 *   'error' and the informer stays stopped; that is where this class restarts it.
 * - `makeInformer` in 2.0.1 takes no field selector, so the ListWatch is built directly
 *   (that is all makeInformer does).
 */
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from './k8s.js';
import type { KubeLogger } from './logger.js';

/** Backoff for restarting a failed informer: `min(maxMs, baseMs * 2^n)`, then jittered. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, maxMs: 30_000 };

/**
 * Delay before restart attempt `attempt` (0-based). Equal jitter: half fixed, half
 * random, so a fleet of replicas that lost the apiserver together does not relist in step.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number): number {
  const cap = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt, 30));
  return cap / 2 + (random() * cap) / 2;
}

export interface ResourceWatchOptions<T extends KubernetesObject> {
  /** Short name for logs, metrics and readiness detail, e.g. `services`. */
  name: string;
  kubeConfig: KubeConfig;
  /** Watch path, e.g. `/api/v1/services`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** Lists the resource; must apply the same selectors as the watch. */
  list(): Promise<KubernetesListObject<T>>;
  /**
   * Shrinks each object before the informer caches it (list items and watch events), so
   * the cache of a broad watch holds only what the state needs.
   */
  transform?(obj: T): T;
  /** A full list, applied as one batch before the informer's per-object callbacks. */
  onList(items: T[]): void;
  onUpsert(obj: T): void;
  onDelete(obj: T): void;
  /** Called when `synced` changes. */
  onSynced?(synced: boolean): void;
  /** Called each time the informer is restarted after an error. */
  onRestart?(): void;
  logger: KubeLogger;
  backoff?: Backoff;
  random?: () => number;
  /** The library's pause between quiet reconnects; tests shorten it. */
  watchDelay?: (ms: number) => Promise<void>;
}

export interface ResourceWatchStatus {
  synced: boolean;
  lists: number;
  restarts: number;
  lastError?: string;
}

/** A Watch that transforms objects before the ListWatch sees (and caches) them. */
class TransformingWatch<T> extends Watch {
  constructor(
    config: KubeConfig,
    private readonly transform: (obj: T) => T,
  ) {
    super(config);
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, obj, raw) => {
        const isObjectEvent = phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED';
        callback(phase, isObjectEvent ? this.transform(obj as T) : obj, raw);
      },
      done,
    );
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code =
      (err as { code?: unknown; statusCode?: unknown }).statusCode ?? (err as { code?: unknown }).code;
    return code !== undefined ? `${err.name} ${String(code)}: ${err.message.split('\n')[0]}` : err.message;
  }
  return String(err);
}

/** See the module comment. */
export class ResourceWatch<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private stopped = true;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly state: ResourceWatchStatus = { synced: false, lists: 0, restarts: 0 };

  constructor(private readonly opts: ResourceWatchOptions<T>) {
    const transform = opts.transform ?? ((o: T) => o);
    const watch = opts.transform
      ? new TransformingWatch(opts.kubeConfig, transform)
      : new Watch(opts.kubeConfig);
    const listFn = async (): Promise<KubernetesListObject<T>> => {
      const list = await opts.list();
      const items = (list.items ?? []).map(transform);
      // Applied here, in one synchronous step, so a relist swaps in a complete new view
      // before the informer's per-object callbacks (which are then no-ops) run.
      opts.onList(items);
      this.state.lists++;
      this.attempt = 0;
      if (!this.state.synced) {
        this.state.synced = true;
        opts.onSynced?.(true);
      }
      return { ...list, items };
    };
    this.informer = new ListWatch<T>(
      opts.path,
      watch,
      listFn,
      false,
      opts.labelSelector,
      opts.fieldSelector,
      opts.watchDelay ? { delayFn: opts.watchDelay } : undefined,
    );
    this.informer.on('add', (o) => this.event(() => opts.onUpsert(o)));
    this.informer.on('update', (o) => this.event(() => opts.onUpsert(o)));
    this.informer.on('delete', (o) => this.event(() => opts.onDelete(o)));
    this.informer.on('error', (err) => this.failed(err));
  }

  /** Starts listing and watching; returns at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.informer.stop();
  }

  get name(): string {
    return this.opts.name;
  }

  status(): ResourceWatchStatus {
    return { ...this.state };
  }

  get synced(): boolean {
    return this.state.synced;
  }

  private event(apply: () => void): void {
    this.attempt = 0;
    apply();
  }

  private run(): void {
    this.informer.start().catch((err: unknown) => this.failed(err));
  }

  private failed(err: unknown): void {
    // Stopping aborts the open watch, which the library reports as an error.
    if (this.stopped) return;
    this.state.lastError = describe(err);
    const delay = backoffDelay(
      this.attempt++,
      this.opts.backoff ?? DEFAULT_BACKOFF,
      this.opts.random ?? Math.random,
    );
    this.opts.logger.warn(
      { resource: this.opts.name, err: this.state.lastError, retryInMs: Math.round(delay) },
      'informer failed; restarting',
    );
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.state.restarts++;
      this.opts.onRestart?.();
      this.run();
    }, delay);
    this.timer.unref?.();
  }
}
