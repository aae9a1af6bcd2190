/** The human-readable form of the summary: one table per section, then the targets. */
import type { BenchSummary } from './run.js';
import type { CheckResult } from './sections/check.js';
import type { DecisionResult } from './sections/decision.js';
import type { FleetResult } from './sections/fleet.js';
import type { MemoryResult } from './sections/memory.js';
import type { ReloadResult } from './sections/reload.js';
import type { WebhookResult } from './sections/webhook.js';

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
  out.push(
    `portguard bench  ${s.startedAt}  ${m.cpu}, ${m.nproc} cores, node ${m.node}, ` +
      `load average ${m.loadAvgStart} -> ${m.loadAvgEnd}`,
  );
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
    case 'webhook': {
      const sec = section as WebhookResult;
      const a = sec.portguardAnswers;
      return [
        `${sec.rounds} rounds x (${sec.warmupSec} s warmup + ${sec.durationSec} s), ${sec.connections} keep-alive ` +
          `connections, ${sec.mix.requests} distinct reviews (median body ${sec.mix.medianBodyBytes} B)`,
        `portguard answered the mix: ${a.allowed} allowed, ${a.denied} denied, ${a.patched} patched, ` +
          `${a.withWarnings} with warnings`,
        table([
          ['server', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors'],
          ...Object.entries(sec.targets).map(([name, t]) => [
            name,
            fmt(t.reqPerSec),
            fmt(t.p50Ms),
            fmt(t.p99Ms),
            fmt(t.maxMs),
            t.errors + t.non2xx + t.timeouts,
          ]),
        ]),
        `ratios: throughput ${sec.ratios.throughputVsFastify} of fastify, ${sec.ratios.throughputVsHttps} of ` +
          `node:https; p99 ${sec.ratios.p99VsFastify}x fastify, ${sec.ratios.p99VsHttps}x node:https`,
      ].join('\n');
    }
    case 'check': {
      const sec = section as CheckResult;
      return (
        `${sec.objects} objects in ${sec.files} files against ${sec.nodes} nodes: ${sec.wallMs} ms wall ` +
        `(exit ${sec.exitCode}, ${sec.findings ?? '?'} findings)`
      );
    }
    case 'memory': {
      const sec = section as MemoryResult;
      return (
        `RSS with state loaded: ${sec.rssLoadedMb} MB (heap ${sec.heapLoadedMb} MB)\n` +
        `${sec.loadSeconds} s of load at ${sec.reqPerSec} req/s (${sec.errors} errors): RSS ${sec.baselineRssMb} MB ` +
        `after warm-up -> ${sec.finalRssMb} MB at the end (max ${sec.maxRssMb} MB), growth ${sec.growthPct}%`
      );
    }
    case 'fleet':
      return formatFleet(section as FleetResult);
    default:
      return JSON.stringify(section, null, 2);
  }
}

function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function formatFleet(sec: FleetResult): string {
  const out: string[] = [];
  for (const s of sec.scales) {
    const m = 'skipped' in s.measured ? undefined : s.measured;
    const mem = 'skipped' in s.memory ? undefined : s.memory;
    const how =
      m?.mode === 'reporters' ? `${m.concurrency} real reporters at a time` : 'events streamed in a burst';
    out.push(
      `${s.nodes} nodes, ${s.labelsPerNode} labels each (old entry ${s.oldEntryBytes} B, report entry ${s.reportEntryBytes} B)`,
      table([
        ['figure', 'before', 'after'],
        ['largest object', bytes(s.before.largestObjectBytes), bytes(s.after.largestObjectBytes)],
        ['bytes written (request bodies)', bytes(s.before.requestBytes), bytes(s.after.requestBytes)],
        ['bytes stored (all versions)', bytes(s.before.storedBytes), bytes(s.after.storedBytes)],
        [
          'watch bytes per replica',
          bytes(s.before.watchBytesPerReplica),
          bytes(s.after.watchBytesPerReplica),
        ],
        ['  measured (test apiserver)', '-', m ? bytes(m.watchBytes) : '-'],
        [
          'rebuild per write / per batch',
          `${fmt(s.rebuild.beforePerWriteMs)} ms`,
          `${fmt(s.rebuild.medianMs)} ms (max ${fmt(s.rebuild.maxMs)})`,
        ],
        [
          'replica RSS / live heap after GC',
          mem ? `${fmt(mem.beforeRssMb)} / ${fmt(mem.beforeHeapMb)} MB` : '-',
          mem ? `${fmt(mem.afterRssMb)} / ${fmt(mem.afterHeapMb)} MB` : '-',
        ],
      ]),
      `before: data passes 1 MiB at node ${s.before.dataLimitExceededAtNode ?? '-'}; watch bytes ${s.watchReduction}x after's`,
      m
        ? `after, measured (${how}): writes ${fmt(m.writesMs)} ms, replica served all after ${fmt(m.convergedMs)} ms ` +
            `(+${fmt(m.lagAfterLastWriteMs)} ms after the last write), ${m.rebuilds} rebuilds, ELD p99 ${fmt(m.eldP99Ms)} ms` +
            (m.requestBytes === null ? '' : `; requests ${bytes(m.requestBytes)}`)
        : `after, not measured: ${(s.measured as { skipped: string }).skipped}`,
      mem ? `replica with the Nodes only: ${fmt(mem.nodesOnlyRssMb)} / ${fmt(mem.nodesOnlyHeapMb)} MB` : '',
      '',
    );
  }
  return out.join('\n').trimEnd();
}
