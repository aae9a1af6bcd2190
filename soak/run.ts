/**
 * `npm run soak -- --minutes N [--concurrency C] [--json FILE]`: runs the real server (a
 * child process, `portguard serve --kubeconfig` against a fake apiserver) under sustained
 * mixed AdmissionReview load over HTTPS keep-alive, while the ranges ConfigMap is
 * rewritten every few seconds (good and bad versions) and the serving certificate is
 * rotated. Reports errors (must be 0), RSS growth and p99 drift as JSON on stdout plus one
 * human line on stderr; exits 1 when any request failed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { percentile, round } from '../bench/stats.js';
import { type CertificateBundle, generateCertificates } from '../src/tls/generate.js';
import { writeCertificates } from '../src/tls/write-certs.js';
import { FakeApiserver } from './fake-apiserver.js';
import { requestMix, withUid } from './reviews.js';

/** dist/soak/run.js → repository root. */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WINDOW_MS = 10_000;
const CONFIGMAP_EVERY_MS = 5_000;
const ROTATE_EVERY_MS = 7_000;

const WIDE = '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-30099"}';
const NARROW = '{"ipLocalPortRange": "32768 60999"}';
const BASE_DATA = { nodePortRange: '30000-32767', default: NARROW };

interface Window {
  endSeconds: number;
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  rssMb: number;
}

function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : 0;
  } catch {
    return 0;
  }
}

function count(counts: Map<string, number>, fragment: string): number {
  let n = 0;
  for (const [msg, c] of counts) if (msg.includes(fragment)) n += c;
  return n;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function startServe(
  kubeconfig: string,
  cert: string,
  key: string,
): Promise<{ child: ChildProcess; port: number; healthPort: number; counts: Map<string, number> }> {
  const main = path.join(repoRoot, 'dist/src/main.js');
  const args = [
    'serve',
    '--kubeconfig',
    kubeconfig,
    '--port',
    '0',
    '--health-port',
    '0',
    '--host',
    '127.0.0.1',
  ];
  const child = spawn(process.execPath, [main, ...args, '--tls-cert', cert, '--tls-key', key], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Every decision is logged, so keep counts of the messages that matter, not the lines.
  const counts = new Map<string, number>();
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const ports = await new Promise<{ port: number; healthPort: number }>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d) => {
      buf += String(d);
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? '';
        counts.set(msg, (counts.get(msg) ?? 0) + 1);
        if (line.includes('portguard serving')) {
          const j = JSON.parse(line);
          resolve({ port: j.port, healthPort: j.healthPort });
        }
        nl = buf.indexOf('\n');
      }
    });
    child.on('exit', (code) => reject(new Error(`portguard serve exited ${code}: ${stderr}`)));
  });
  return { child, ...ports, counts };
}

async function waitReady(healthPort: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await request(`http://127.0.0.1:${healthPort}/readyz`);
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server not ready after 30 s');
    await sleep(100);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '8' },
      json: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes);
  const concurrency = Number(values.concurrency);
  if (!(minutes > 0) || !(concurrency > 0)) throw new Error('--minutes and --concurrency must be positive');

  const dir = await mkdtemp(path.join(tmpdir(), 'portguard-soak-'));
  const loopback = { extraDnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
  // Several CAs, all trusted by the client, so each rotation swaps CA and leaf like a re-issue.
  const bundles: CertificateBundle[] = await Promise.all([0, 1, 2].map(() => generateCertificates(loopback)));
  const files = await writeCertificates(dir, bundles[0] as CertificateBundle);
  const api = await new FakeApiserver({ ...BASE_DATA, 'node.worker-1': WIDE, 'node.worker-2': NARROW }, [
    'worker-1',
    'worker-2',
  ]).start();
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, api.kubeconfig());

  const served = await startServe(kubeconfig, files.cert, files.key);
  const cleanup = async () => {
    served.child.kill('SIGTERM');
    await api.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(served.healthPort);
    const agent = new Agent({
      connect: { ca: bundles.map((b) => b.caCert) },
      connections: Math.max(1, Math.ceil(concurrency / 2)),
    });
    const mix = requestMix();
    const started = Date.now();
    const endAt = started + minutes * 60_000;
    let latencies: number[] = [];
    let windowRequests = 0;
    let windowErrors = 0;
    let total = 0;
    let errors = 0;
    const errorSamples: string[] = [];
    const windows: Window[] = [];
    let configMapUpdates = 0;
    let badConfigMaps = 0;
    let rotations = 0;

    const fail = (what: string) => {
      errors++;
      windowErrors++;
      if (errorSamples.length < 20) errorSamples.push(what);
    };

    const worker = async (offset: number) => {
      let i = offset;
      while (Date.now() < endAt) {
        const req = mix[i++ % mix.length];
        if (!req) continue;
        const { uid, text } = withUid(req);
        const t0 = performance.now();
        try {
          const res = await request(`https://127.0.0.1:${served.port}${req.path}?timeout=10s`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: text,
            dispatcher: agent,
          });
          const body = (await res.body.json()) as { kind?: string; response?: { uid?: string } };
          if (res.statusCode !== 200) fail(`${req.name} ${req.path}: HTTP ${res.statusCode}`);
          else if (body.kind !== 'AdmissionReview' || body.response?.uid !== uid)
            fail(`${req.name} ${req.path}: answer for another uid`);
        } catch (err) {
          fail(`${req.name} ${req.path}: ${(err as { code?: string }).code ?? (err as Error).message}`);
        }
        latencies.push(performance.now() - t0);
        total++;
        windowRequests++;
      }
    };

    const configMapTicker = setInterval(() => {
      configMapUpdates++;
      // Every fourth update is bad: the server must reject it and keep serving.
      if (configMapUpdates % 4 === 0) {
        badConfigMaps++;
        api.updateConfigMap({ ...BASE_DATA, 'node.worker-1': '{"ipLocalPortRange": "65535 1024"}' });
      } else {
        const wide = configMapUpdates % 2 === 1;
        api.updateConfigMap({ ...BASE_DATA, 'node.worker-1': wide ? NARROW : WIDE, 'node.worker-2': NARROW });
      }
    }, CONFIGMAP_EVERY_MS);
    const rotateTicker = setInterval(() => {
      rotations++;
      void writeCertificates(dir, bundles[rotations % bundles.length] as CertificateBundle, { force: true });
    }, ROTATE_EVERY_MS);
    const windowTicker = setInterval(() => {
      const sorted = [...latencies].sort((a, b) => a - b);
      windows.push({
        endSeconds: Math.round((Date.now() - started) / 1000),
        requests: windowRequests,
        errors: windowErrors,
        p50Ms: round(percentile(sorted, 50)),
        p99Ms: round(percentile(sorted, 99)),
        rssMb: rssMb(served.child.pid),
      });
      latencies = [];
      windowRequests = 0;
      windowErrors = 0;
    }, WINDOW_MS);

    await Promise.all(Array.from({ length: concurrency }, (_, k) => worker(k)));
    clearInterval(configMapTicker);
    clearInterval(rotateTicker);
    clearInterval(windowTicker);
    await agent.close();

    const readyz = (await (
      await request(`http://127.0.0.1:${served.healthPort}/readyz`)
    ).body.json()) as Record<string, unknown>;
    // The first window includes JIT warm-up; growth and drift are measured from the second.
    const steady = windows.length > 2 ? windows.slice(1) : windows;
    const first = steady[0];
    const last = steady[steady.length - 1];
    const pct = (a: number, b: number) => (a > 0 ? Math.round(((b - a) / a) * 1000) / 10 : 0);
    const summary = {
      minutes,
      concurrency,
      requests: total,
      requestsPerSecond: Math.round(total / ((Date.now() - started) / 1000)),
      errors,
      errorSamples,
      configMapUpdates,
      badConfigMaps,
      configMapApplied: count(served.counts, 'ranges ConfigMap applied'),
      configMapRejected: count(served.counts, 'update rejected'),
      certificateRotations: rotations,
      certificateReloads: count(served.counts, 'serving certificate reloaded'),
      certificateReloadFailures: count(served.counts, 'certificate reload failed'),
      rss: {
        startMb: first?.rssMb ?? 0,
        endMb: last?.rssMb ?? 0,
        maxMb: Math.max(...windows.map((w) => w.rssMb)),
        growthPct: pct(first?.rssMb ?? 0, last?.rssMb ?? 0),
      },
      p99: {
        firstMs: first?.p99Ms ?? 0,
        lastMs: last?.p99Ms ?? 0,
        driftPct: pct(first?.p99Ms ?? 0, last?.p99Ms ?? 0),
      },
      readyAtEnd: readyz['ready'],
      rangesConfigMap: readyz['rangesConfigMap'],
      windows,
    };
    const json = JSON.stringify(summary, null, 2);
    process.stdout.write(`${json}\n`);
    if (values.json) await writeFile(values.json, json);
    process.stderr.write(
      `soak: ${minutes} min, ${total} requests (${summary.requestsPerSecond}/s), ${errors} errors, ` +
        `${configMapUpdates} ConfigMap updates (${badConfigMaps} bad), ${rotations} certificate rotations, ` +
        `RSS ${summary.rss.startMb}→${summary.rss.endMb} MB (${summary.rss.growthPct}%), ` +
        `p99 ${summary.p99.firstMs}→${summary.p99.lastMs} ms (${summary.p99.driftPct}%)\n`,
    );
    return errors === 0 && total > 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
