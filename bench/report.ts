/** The human-readable form of the summary: one table per section, then the targets. */
import type { BenchSummary } from './run.js';
import type { DecisionResult } from './sections/decision.js';
import type { ReloadResult } from './sections/reload.js';

function table(rows: (string | number)[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, String(c).length);
    });
  }
  return rows
    .map((r) =>
      r
        .map((c, i) => String(c).padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return v === undefined || v === null ? '-' : String(v);
}

export function formatReport(s: BenchSummary): string {
  const out: string[] = [];
  const m = s.machine;
  out.push(`portguard bench  ${s.startedAt}  ${m.cpu}, ${m.nproc} cores, node ${m.node}`);
  out.push(
    `state: ${s.state.nodes} nodes (${s.state.distinctProfiles} distinct ranges), ${s.state.services} Services, ` +
      `${s.state.hostPods} host pods, nodePortRange ${s.state.nodePortRange}; loaded in ${s.state.loadMs} ms`,
  );
  for (const [name, sec] of Object.entries(s.sections)) {
    out.push('', `== ${name}`);
    const v = sec as { status: string; reason?: string };
    if (v.status !== 'ok') {
      out.push(`${v.status}: ${v.reason ?? ''}`);
      continue;
    }
    out.push(formatSection(name, sec));
  }
  out.push('', '== targets');
  out.push(
    table([
      ['target', 'value', 'limit', 'result', 'note'],
      ...s.targets.map((t) => [
        t.description,
        t.value === null ? '-' : `${fmt(t.value)} ${t.unit}`,
        `${t.comparison} ${t.limit} ${t.unit}`,
        t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL',
        t.note ?? '',
      ]),
    ]),
  );
  out.push(`\n(${s.durationSec} s)`);
  return `${out.join('\n')}\n`;
}

function formatSection(name: string, section: unknown): string {
  switch (name) {
    case 'decision': {
      const sec = section as DecisionResult;
      return table([
        ['case', 'iterations', 'median µs', 'p99 µs', 'max µs', 'denied'],
        ...Object.entries(sec.cases).map(([k, c]) => [
          k,
          c.iterations,
          fmt(c.medianUs),
          fmt(c.p99Us),
          fmt(c.maxUs),
          fmt(c.deniedShare),
        ]),
      ]);
    }
    case 'reload': {
      const sec = section as ReloadResult;
      return table([
        ['update', 'median ms', 'max ms', 'ELD p99 ms', 'ELD max ms', 'first review ms'],
        ...[sec.all, sec.partial].map((r) => [
          `${Math.round(r.changedShare * 100)}% of ${sec.nodes} nodes`,
          fmt(r.medianMs),
          fmt(r.maxMs),
          fmt(r.eldP99Ms),
          fmt(r.eldMaxMs),
          fmt(r.firstReviewAfterMs),
        ]),
      ]);
    }
    default:
      return JSON.stringify(section, null, 2);
  }
}
