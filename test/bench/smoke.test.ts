/**
 * Keeps the benchmark harness from rotting: runs it at tiny sizes and checks that every
 * figure it promises is a number. It says nothing about speed.
 */
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/options.js';
import { runBench } from '../../bench/run.js';

const finite = expect.any(Number);

describe('bench harness (in-process sections, quick sizes)', () => {
  it('produces decision and reload figures and evaluates their targets', async () => {
    const opts = parseOptions(['--quick', '--sections', 'decision,reload', '--iterations', '50']);
    const lines: string[] = [];
    const summary = await runBench(opts, (l) => lines.push(l));

    expect(summary.state).toMatchObject({
      nodes: 200,
      services: 800,
      hostPods: 80,
      nodePortRange: '30000-59999',
    });
    expect(summary.state.distinctProfiles).toBeGreaterThan(5);
    const decision = summary.sections.decision;
    expect(decision).toMatchObject({ status: 'ok' });
    if (decision?.status !== 'ok') throw new Error('decision section did not run');
    for (const c of Object.values(decision.cases)) {
      expect(c).toMatchObject({ iterations: finite, medianUs: finite, p99Us: finite, maxUs: finite });
      expect(c.medianUs).toBeGreaterThan(0);
    }
    expect(Object.keys(decision.cases).sort()).toEqual(
      ['deployment', 'pod-script-cold', 'pod-script-warm', 'service', 'service-mutate', 'update'].sort(),
    );
    const reload = summary.sections.reload;
    if (reload?.status !== 'ok') throw new Error('reload section did not run');
    expect(reload.all).toMatchObject({ medianMs: finite, maxMs: finite, eldP99Ms: finite });

    const byId = Object.fromEntries(summary.targets.map((t) => [t.id, t]));
    for (const id of ['decision-service', 'decision-pod-script', 'reload-time', 'reload-eld-p99']) {
      expect(byId[id]?.value).toEqual(finite);
      expect(typeof byId[id]?.pass).toBe('boolean');
    }
    // Sections not selected are reported as not run, never as passing.
    expect(byId['check-wall']).toMatchObject({ value: null, pass: null });
    expect(lines.some((l) => l.includes('decision: done'))).toBe(true);
  }, 60_000);
});
