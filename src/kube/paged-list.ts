/**
 * Paged LIST through client-node: every list follows `limit` + `continue`, so a large
 * cluster never has to answer one huge list, and only the objects the caller keeps stay
 * in memory. Shared by the audit's cluster listing and the one-shot reader of the
 * cluster's node data (src/kube/read-cluster-ranges.ts).
 */
import type { Json } from '../core/object-view.js';
import { httpStatus } from './http-status.js';

export const PAGE_SIZE = 500;

/** Called after each page: what is listed and how many so far. */
export type ProgressFn = (what: string, count: number) => void;

/** One page of a list as client-node returns it. */
export interface Page {
  items: Json[];
  metadata?: { _continue?: string };
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
  for (let attempt = 0; ; attempt++) {
    const out: Json[] = [];
    let seen = 0;
    let cont: string | undefined;
    try {
      do {
        const res = await page(cont);
        for (const item of res.items) {
          const kept = select(item);
          if (kept !== undefined) out.push(kept);
        }
        seen += res.items.length;
        progress?.(what, seen);
        cont = res.metadata?._continue || undefined;
      } while (cont);
      return out;
    } catch (err) {
      if (httpStatus(err) === 410 && attempt === 0) continue;
      throw new ListError(what, httpStatus(err), err);
    }
  }
}
