/**
 * A histogram observed once per admission review. prom-client's Histogram validates and
 * hashes the label object on every observe (a few µs, measurable per review); this one
 * keeps one row of bucket counts per label set, found by the label values joined, and hands
 * prom-client's registry the same samples on scrape, so /metrics reads exactly as before.
 */
import type { Metric, Registry } from 'prom-client';

interface Row {
  labels: Record<string, string>;
  /** Observations per bucket, not cumulative; the last slot is above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

interface Sample {
  value: number;
  /** prom-client's histogram sets it on bucket samples; kept for the same JSON. */
  exemplar?: null;
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  metricName: string;
}

export class LabelHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly rows = new Map<string, Row>();
  private readonly bounds: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    buckets: readonly number[],
    registers: readonly Registry[],
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
    // The registry only reads name, help, type, aggregator and the samples.
    for (const r of registers) r.registerMetric(this as unknown as Metric);
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    let key = '';
    for (const n of this.labelNames) key += `${labels[n]}\u0000`;
    let row = this.rows.get(key);
    if (!row) {
      const own: Record<string, string> = {};
      for (const n of this.labelNames) {
        if (typeof labels[n] !== 'string') throw new Error(`label ${n} is missing`);
        own[n] = labels[n];
      }
      row = { labels: own, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.rows.set(key, row);
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    row.counts[i]!++;
    row.sum += value;
    row.count++;
  }

  /** prom-client's text format input: `le` as own label, the label set as shared labels. */
  getForPromString() {
    const values: Sample[] = [];
    for (const row of this.rows.values()) {
      let acc = 0;
      for (const [i, le] of this.bounds.entries()) {
        acc += row.counts[i]!;
        values.push({
          labels: { le },
          sharedLabels: row.labels,
          value: acc,
          metricName: `${this.name}_bucket`,
          exemplar: null,
        });
      }
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: row.labels,
          value: row.count,
          metricName: `${this.name}_bucket`,
          exemplar: null,
        },
        { labels: {}, sharedLabels: row.labels, value: row.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: row.labels, value: row.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (`registry.getMetricsAsJSON()`): shared labels merged into each sample's. */
  get() {
    const data = this.getForPromString();
    const values = data.values.map(({ sharedLabels, labels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return { ...data, values };
  }

  reset(): void {
    this.rows.clear();
  }
}
