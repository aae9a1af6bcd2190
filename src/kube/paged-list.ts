/**
 * Paged LIST through client-node: every list follows `limit` + `continue`, so a large
 * cluster never has to answer one huge list, and only the objects the caller keeps stay
 * in memory. Shared by the audit's cluster listing and the one-shot reader of the
 * cluster's node data (src/kube/read-cluster-ranges.ts); `listAllWithVersion` also gives
 * the list's resourceVersion, for a list that a watch continues from.
 */
import type { Json } from '../core/object-view.js';
import { httpStatus } from './http-status.js';

export const PAGE_SIZE = 500;

/** Called after each page: what is listed and how many so far. */
export type ProgressFn = (what: string, count: number) => void;

/** One page of a list as client-node returns it. */
export interface Page {
  items: Json[];
  metadata?: { _continue?: string; resourceVersion?: string };
}

/** A whole list: the kept items and the resourceVersion of the snapshot they come from. */
export interface VersionedList {
  items: Json[];
  /** Where a watch must start so that it misses no change after this list. */
  resourceVersion: string | undefined;
}

/** A read that failed (HTTP error or no answer), naming what was being read. */
export class ListError extends Error {
  constructor(
    readonly what: string,
    readonly status: number | undefined,
    cause: unknown,
  ) {
    super(
      `cannot read ${what}: ${status ? `HTTP ${status}` : cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** The query of one page: `limit`, plus the `continue` token after the first. */
export function pageQuery(cont: string | undefined): { limit: number; _continue?: string } {
  return { limit: PAGE_SIZE, ...(cont ? { _continue: cont } : {}) };
}

/**
 * Follows `continue` tokens to the end. If a token expires (410 Gone) the list starts
 * over once, since a mix of two snapshots could miss objects.
 */
export async function listAll(
  what: string,
  page: (cont: string | undefined) => Promise<Page>,
  /** Maps each item to what is kept, or undefined to drop it while paging. */
  select: (item: Json) => Json | undefined,
  progress?: ProgressFn,
): Promise<Json[]> {
  return (await listAllWithVersion(what, page, select, progress)).items;
}

/**
 * `listAll` that also returns the list's resourceVersion, for a list that a watch continues
 * (an informer's list function). Every page of one snapshot carries the same version; after
 * a 410 restart it is the new snapshot's.
 */
export async function listAllWithVersion(
  what: string,
  page: (cont: string | undefined) => Promise<Page>,
  select: (item: Json) => Json | undefined = (item) => item,
  progress?: ProgressFn,
): Promise<VersionedList> {
  for (let attempt = 0; ; attempt++) {
    const items: Json[] = [];
    let resourceVersion: string | undefined;
    let seen = 0;
    let cont: string | undefined;
    try {
      do {
        const res = await page(cont);
        for (const item of res.items) {
          const kept = select(item);
          if (kept !== undefined) items.push(kept);
        }
        seen += res.items.length;
        progress?.(what, seen);
        resourceVersion = res.metadata?.resourceVersion ?? resourceVersion;
        cont = res.metadata?._continue || undefined;
      } while (cont);
      return { items, resourceVersion };
    } catch (err) {
      if (httpStatus(err) === 410 && attempt === 0) continue;
      throw new ListError(what, httpStatus(err), err);
    }
  }
}
