/** Periodic-audit outcomes as metrics (the leader gauge is covered end to end in test/kube/leader-serve). */
import { describe, expect, it } from 'vitest';
import type { PeriodicRunOutcome } from '../../src/audit/periodic.js';
import { recordAuditRun } from '../../src/server/leader-jobs.js';
import { createMetrics } from '../../src/server/metrics.js';

const WRITE = { written: 3, emptied: 1, failed: [] } as unknown as Extract<
  PeriodicRunOutcome,
  { ok: true }
>['write'];

async function values(name: string, m: ReturnType<typeof createMetrics>) {
  return (await m.registry.getSingleMetric(name)?.get())?.values ?? [];
}

describe('recordAuditRun', () => {
  it.each<[string, PeriodicRunOutcome, Record<string, number>, number | undefined, number | undefined]>([
    ['not the leader: nothing counted', { ran: false, reason: 'not-leader' }, {}, 0, 0],
    ['success', { ran: true, ok: true, findings: 7, write: WRITE }, { ok: 1 }, 1_700_000_000, 7],
    ['failure', { ran: true, ok: false, error: 'cannot list services' }, { failed: 1 }, 0, 0],
    ['lost leadership', { ran: true, ok: false, error: 'lost leadership' }, { 'lost-leadership': 1 }, 0, 0],
  ])('%s', async (_name, outcome, runs, lastSuccess, findings) => {
    const metrics = createMetrics();
    recordAuditRun(metrics, outcome, () => 1_700_000_000_500);
    const counted = Object.fromEntries(
      (await values('portguard_periodic_audit_runs_total', metrics)).map((v) => [v.labels.outcome, v.value]),
    );
    expect(counted).toEqual(runs);
    const gauge = async (n: string) => (await values(n, metrics))[0]?.value;
    expect(await gauge('portguard_periodic_audit_last_success_timestamp_seconds')).toBe(lastSuccess);
    expect(await gauge('portguard_periodic_audit_findings')).toBe(findings);
  });

  it('a later failure keeps the last success time and findings', async () => {
    const metrics = createMetrics();
    recordAuditRun(metrics, { ran: true, ok: true, findings: 2, write: WRITE }, () => 5_000);
    recordAuditRun(metrics, { ran: true, ok: false, error: 'boom' }, () => 9_000);
    const gauge = async (n: string) => (await metrics.registry.getSingleMetric(n)?.get())?.values[0]?.value;
    expect(await gauge('portguard_periodic_audit_last_success_timestamp_seconds')).toBe(5);
    expect(await gauge('portguard_periodic_audit_findings')).toBe(2);
  });
});
