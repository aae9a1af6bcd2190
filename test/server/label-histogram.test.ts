import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelHistogram } from '../../src/server/label-histogram.js';
import { createMetrics, REQUEST_DURATION_BUCKETS } from '../../src/server/metrics.js';

type L = 'operation' | 'kind' | 'decision';
const NAME = 'portguard_admission_request_duration_seconds';
const LABELS: L[] = ['operation', 'kind', 'decision'];

/** The same observations on prom-client's Histogram and on LabelHistogram, each on its own registry. */
function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram<L>({
    name: NAME,
    help: 'Time to answer one AdmissionReview',
    labelNames: LABELS,
    buckets: REQUEST_DURATION_BUCKETS,
    registers: [theirs],
  });
  const fast = new LabelHistogram<L>(
    NAME,
    'Time to answer one AdmissionReview',
    LABELS,
    REQUEST_DURATION_BUCKETS,
    [ours],
  );
  return { theirs, ours, reference, fast };
}

const observation = fc.record({
  labels: fc.record({
    operation: fc.constantFrom('validate', 'mutate'),
    kind: fc.constantFrom('Service', 'Pod', 'Deployment', 'we"ird\\kind\n'),
    decision: fc.constantFrom('allowed', 'denied', 'patched', 'error'),
  }),
  // Bucket bounds exactly, between them, and past the last one.
  seconds: fc.oneof(
    fc.constantFrom(0, ...REQUEST_DURATION_BUCKETS, 3),
    fc.double({ min: 0, max: 5, noNaN: true }),
  ),
});

describe('LabelHistogram', () => {
  it('exposes exactly what prom-client’s Histogram exposes for the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const { theirs, ours, reference, fast } = both();
        for (const o of observations) {
          reference.observe(o.labels, o.seconds);
          fast.observe(o.labels, o.seconds);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
        expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
      }),
      { numRuns: 60 },
    );
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('rejects %s like prom-client', (_name, value) => {
    const { fast } = both();
    expect(() => fast.observe({ operation: 'validate', kind: 'Pod', decision: 'allowed' }, value)).toThrow(
      TypeError,
    );
  });

  it('rejects a missing label', () => {
    const { fast } = both();
    expect(() => fast.observe({ operation: 'validate', kind: 'Pod' } as Record<L, string>, 0.1)).toThrow(
      /decision/,
    );
  });

  it('is empty again after a registry reset', async () => {
    const { theirs, ours, reference, fast } = both();
    fast.observe({ operation: 'mutate', kind: 'Pod', decision: 'patched' }, 0.002);
    reference.observe({ operation: 'mutate', kind: 'Pod', decision: 'patched' }, 0.002);
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('is the request duration metric on the injected registry', async () => {
    const metrics = createMetrics();
    metrics.requestDuration.observe({ operation: 'validate', kind: 'Service', decision: 'denied' }, 0.003);
    const text = await metrics.registry.metrics();
    expect(text).toContain(`# TYPE ${NAME} histogram`);
    expect(text).toContain(
      `${NAME}_bucket{le="0.005",operation="validate",kind="Service",decision="denied"} 1`,
    );
    expect(text).toContain(`${NAME}_count{operation="validate",kind="Service",decision="denied"} 1`);
  });
});
