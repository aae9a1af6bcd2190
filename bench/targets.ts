/**
 * The bar from issue 5, evaluated against the figures. A target whose section did not
 * run is reported with `pass: null` rather than silently passing.
 */

export interface TargetResult {
  id: string;
  description: string;
  value: number | null;
  limit: number;
  unit: string;
  comparison: '<' | '<=' | '>=';
  pass: boolean | null;
  /** Why the value is missing, or what it was measured on. */
  note?: string;
}

export interface TargetSpec {
  id: string;
  description: string;
  limit: number;
  unit: string;
  comparison: '<' | '<=' | '>=';
}

export const TARGETS: readonly TargetSpec[] = [
  {
    id: 'webhook-throughput',
    description: 'portguard req/s vs allow-all fastify',
    limit: 0.85,
    unit: 'ratio',
    comparison: '>=',
  },
  {
    id: 'webhook-p99',
    description: 'portguard p99 vs allow-all fastify p99',
    limit: 1.3,
    unit: 'ratio',
    comparison: '<=',
  },
  {
    id: 'decision-service',
    description: 'Service decision (median)',
    limit: 50,
    unit: 'µs',
    comparison: '<',
  },
  {
    id: 'decision-pod-script',
    description: 'Pod with a 30-line script, never seen (median)',
    limit: 500,
    unit: 'µs',
    comparison: '<',
  },
  {
    id: 'check-wall',
    description: 'check: 10,000 objects, wall time',
    limit: 3000,
    unit: 'ms',
    comparison: '<',
  },
  {
    id: 'rss-loaded',
    description: 'server RSS with the synthetic state',
    limit: 300,
    unit: 'MB',
    comparison: '<',
  },
  { id: 'rss-growth', description: 'RSS growth under sustained load', limit: 10, unit: '%', comparison: '<' },
  {
    id: 'reload-time',
    description: 'ConfigMap update for every node',
    limit: 100,
    unit: 'ms',
    comparison: '<',
  },
  {
    id: 'reload-eld-p99',
    description: 'event-loop delay p99 during reload',
    limit: 20,
    unit: 'ms',
    comparison: '<',
  },
  {
    id: 'fleet-object-size',
    description: 'fleet: largest report object (apiserver form)',
    limit: 256,
    unit: 'KiB',
    comparison: '<',
  },
  {
    id: 'fleet-watch-reduction',
    description: 'fleet: watch bytes per replica per rollout, before / after',
    limit: 10,
    unit: 'x',
    comparison: '>=',
  },
  {
    id: 'fleet-rebuild',
    description: 'fleet: rebuild after a batch of report events (reload target)',
    limit: 100,
    unit: 'ms',
    comparison: '<',
  },
];

function passes(value: number, spec: TargetSpec): boolean {
  switch (spec.comparison) {
    case '<':
      return value < spec.limit;
    case '<=':
      return value <= spec.limit;
    case '>=':
      return value >= spec.limit;
  }
}

/** `values` maps target id to its measured value, or to a reason it is missing. */
export function evaluateTargets(
  values: Record<string, number | { missing: string } | { value: number; note: string }>,
): TargetResult[] {
  return TARGETS.map((spec) => {
    const v = values[spec.id];
    if (v === undefined) return { ...spec, value: null, pass: null, note: 'section not run' };
    if (typeof v === 'number')
      return { ...spec, value: v, pass: Number.isFinite(v) ? passes(v, spec) : false };
    if ('missing' in v) return { ...spec, value: null, pass: null, note: v.missing };
    return { ...spec, value: v.value, pass: passes(v.value, spec), note: v.note };
  });
}
