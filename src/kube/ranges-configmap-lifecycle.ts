/**
 * What the server does with the ranges ConfigMap as it appears, changes, breaks and goes
 * away (docs/cluster-state.md, "The ranges ConfigMap"). A state machine with no I/O: the
 * informer wiring (cluster-state-source.ts) feeds it events and acts on the decision each
 * one returns (start a parse, log, count, rebuild the ranges, notify), so every decision
 * can be tested without a server or a clock. The four documented decisions:
 * - absent after the initial sync: serve built-in defaults, ready, and say so in detail;
 * - an update with any error: keep the last good data, report the keys and messages,
 *   stay ready;
 * - the first version seen has errors: apply what parsed (bad node entries fall back to
 *   the default profile), since there is nothing better to keep, and report the errors;
 * - deleted: keep serving the last known data and say since when in detail.
 *
 * A new version is parsed in slices outside this module; every event bumps a generation,
 * and a parse result carrying an older generation is stale, so the latest event wins.
 */

import { applyConfigMap, type ParsedConfigMap } from './ranges-model.js';

/** A version of the ConfigMap as the informer saw it. */
export interface ConfigMapVersion {
  resourceVersion: string | undefined;
  data: Record<string, unknown>;
}

/** The keys and parser messages of a version with errors (never the values). */
export type RangesErrorSummary = { key: string; message: string }[];

type ConfigMapStatus =
  | { kind: 'waiting' }
  | { kind: 'absent' }
  | { kind: 'ok'; resourceVersion: string | undefined }
  | { kind: 'deleted' };

export type ConfigMapDecision =
  /** Parse `data` (reusing `previous`), then report the result with `parsed(generation, …)`. */
  | {
      kind: 'parse';
      generation: number;
      data: Record<string, unknown>;
      previous: ParsedConfigMap | undefined;
    }
  /** The version applied or being parsed already: nothing to do. */
  | { kind: 'unchanged' }
  /** Not there after a list while nothing was ever applied: built-in defaults are served. */
  | { kind: 'absent' }
  /** Gone (now, or again): the last known data stays. `first` is false when it was gone already. */
  | { kind: 'deleted'; first: boolean; since: Date | undefined }
  /** A clean version: it is now served. */
  | { kind: 'applied'; resourceVersion: string | undefined; parsed: ParsedConfigMap; at: Date }
  /** The first version seen has errors: what parsed is served, bad entries use the default profile. */
  | {
      kind: 'applied-with-errors';
      resourceVersion: string | undefined;
      parsed: ParsedConfigMap;
      errors: RangesErrorSummary;
    }
  /** An update with errors after good data: the last good data stays. */
  | { kind: 'rejected'; resourceVersion: string | undefined; errors: RangesErrorSummary }
  /** A parse a newer event superseded: its result is dropped. */
  | { kind: 'stale' }
  /** The parse itself threw; the served data is unchanged. */
  | { kind: 'parse-failed'; error: string };

export const BUILT_IN_DEFAULTS = 'built-in defaults';

export class RangesConfigMapLifecycle {
  /** The data served: built-in defaults until a version is applied. */
  private served: ParsedConfigMap = applyConfigMap({});
  /** The last parse of any version, good or bad: the cache for incremental parsing. */
  private lastParsed: ParsedConfigMap | undefined;
  /** Bumped by every event (and `cancel`): a parse started under an older value is stale. */
  private generation = 0;
  /** resourceVersion of the version being parsed, if any. */
  private pending: { resourceVersion: string | undefined } | undefined;
  private hadGood = false;
  private status: ConfigMapStatus = { kind: 'waiting' };
  private dataSince: Date | undefined;
  private rejected: { at: Date; errors: RangesErrorSummary } | undefined;
  private firstErrors: RangesErrorSummary | undefined;
  private source = BUILT_IN_DEFAULTS;

  /** `name` describes the ConfigMap (`configmap <ns>/<name>`); it becomes the ranges' source once applied. */
  constructor(private readonly name: string) {}

  /** The parsed data to serve. */
  get config(): ParsedConfigMap {
    return this.served;
  }

  /** Where the served data comes from: the ConfigMap's name, or built-in defaults. */
  get rangesSource(): string {
    return this.source;
  }

  /** False only until the initial list has been applied (for a ConfigMap: until its first parse is). */
  get settled(): boolean {
    return this.status.kind !== 'waiting';
  }

  get updateInProgress(): boolean {
    return this.pending !== undefined;
  }

  /** True while no newer event has superseded the parse started under `generation`. */
  isCurrent(generation: number): boolean {
    return generation === this.generation;
  }

  /** The informer's list: the ConfigMap, or `undefined` when the list did not hold it. */
  listed(cm: ConfigMapVersion | undefined): ConfigMapDecision {
    if (cm) return this.startParse(cm);
    this.cancel();
    if (this.status.kind === 'waiting' || this.status.kind === 'absent') {
      this.status = { kind: 'absent' };
      return { kind: 'absent' };
    }
    return this.markDeleted();
  }

  /** An added or modified event. */
  upserted(cm: ConfigMapVersion): ConfigMapDecision {
    if (this.pending) {
      if (this.pending.resourceVersion === cm.resourceVersion) return { kind: 'unchanged' };
    } else if (this.status.kind === 'ok' && this.status.resourceVersion === cm.resourceVersion)
      return { kind: 'unchanged' };
    return this.startParse(cm);
  }

  deleted(): ConfigMapDecision {
    this.cancel();
    return this.markDeleted();
  }

  /**
   * A parse started by a `parse` decision finished at `at`; `parsed` is undefined when
   * the parse stopped itself because it was superseded.
   */
  parsed(generation: number, parsed: ParsedConfigMap | undefined, at: Date): ConfigMapDecision {
    // A current generation always has its version pending: every other event bumps it.
    if (!parsed || !this.isCurrent(generation) || !this.pending) return { kind: 'stale' };
    const { resourceVersion } = this.pending;
    this.pending = undefined;
    this.lastParsed = parsed;
    let errors: RangesErrorSummary | undefined;
    if (parsed.errors.length > 0) {
      errors = parsed.errors.map((e) => ({ key: e.key, message: e.message }));
      if (this.hadGood) {
        this.rejected = { at, errors };
        this.status = {
          kind: 'ok',
          resourceVersion: this.status.kind === 'ok' ? this.status.resourceVersion : undefined,
        };
        return { kind: 'rejected', resourceVersion, errors };
      }
    }
    this.firstErrors = errors;
    this.hadGood = true;
    this.rejected = undefined;
    this.served = parsed;
    this.dataSince = at;
    this.status = { kind: 'ok', resourceVersion };
    this.source = this.name;
    return errors
      ? { kind: 'applied-with-errors', resourceVersion, parsed, errors }
      : { kind: 'applied', resourceVersion, parsed, at };
  }

  /** The parse started under `generation` threw. */
  parseFailed(generation: number, err: unknown): ConfigMapDecision {
    if (!this.isCurrent(generation)) return { kind: 'stale' };
    this.pending = undefined;
    return { kind: 'parse-failed', error: String(err) };
  }

  /** Drops any parse in flight: a delete, a relist without the ConfigMap, or stop. */
  cancel(): void {
    this.generation++;
    this.pending = undefined;
  }

  /** The errors to show: those of the last rejected update, else those the applied version has. */
  errors(): RangesErrorSummary | undefined {
    return this.rejected?.errors ?? this.firstErrors;
  }

  /** One line for `/readyz` (the table in docs/cluster-state.md). */
  describe(): string {
    const since = this.dataSince?.toISOString() ?? 'never';
    switch (this.status.kind) {
      case 'waiting':
        return 'waiting for the initial list';
      case 'absent':
        return 'not found; serving built-in defaults';
      case 'deleted':
        return `deleted; serving last known data from ${since}`;
      case 'ok':
        if (this.rejected) {
          const keys = [...new Set(this.rejected.errors.map((e) => e.key))].join(', ');
          return `last update rejected at ${this.rejected.at.toISOString()} (errors in: ${keys}); serving last good data from ${since}`;
        }
        if (this.firstErrors) {
          const keys = [...new Set(this.firstErrors.map((e) => e.key))].join(', ');
          return `applied with errors in: ${keys} (those entries use the default profile); since ${since}`;
        }
        return `ok; applied ${since}`;
    }
  }

  private startParse(cm: ConfigMapVersion): ConfigMapDecision {
    const generation = ++this.generation;
    this.pending = { resourceVersion: cm.resourceVersion };
    return { kind: 'parse', generation, data: cm.data, previous: this.lastParsed };
  }

  private markDeleted(): ConfigMapDecision {
    if (this.status.kind === 'deleted') return { kind: 'deleted', first: false, since: this.dataSince };
    this.status = { kind: 'deleted' };
    return { kind: 'deleted', first: true, since: this.dataSince };
  }
}
