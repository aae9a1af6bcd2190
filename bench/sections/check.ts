/**
 * Section 3: `portguard check` as CI runs it: a fresh process over a directory of
 * multi-document YAML (10,000 objects, 2,000 of them Pods with never-seen 30-line
 * scripts) and the 5,000-node ranges ConfigMap, timed from spawn to exit.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MixBuilder } from '../admission-mix.js';
import { repoRoot } from '../paths.js';
import { round } from '../stats.js';
import type { SyntheticCluster } from '../synthetic.js';

export interface CheckSizes {
  services: number;
  podsWithScripts: number;
  deployments: number;
  hostPods: number;
}

export const CHECK_FULL: CheckSizes = {
  services: 5000,
  podsWithScripts: 2000,
  deployments: 2000,
  hostPods: 1000,
};
export const CHECK_QUICK: CheckSizes = { services: 200, podsWithScripts: 80, deployments: 80, hostPods: 40 };

export interface CheckResult {
  status: 'ok';
  objects: number;
  files: number;
  nodes: number;
  wallMs: number;
  exitCode: number;
  findings: number | null;
  stdoutBytes: number;
}

type Obj = Record<string, unknown>;

function manifests(cluster: SyntheticCluster, sizes: CheckSizes): Obj[] {
  const b = new MixBuilder(cluster, 4242);
  const out: Obj[] = [];
  for (let i = 0; i < sizes.services; i++)
    out.push(b.input(i % 3 === 0 ? 'service-unset' : 'service').object as Obj);
  for (let i = 0; i < sizes.podsWithScripts; i++)
    out.push(b.input('pod-script', { uniqueScripts: true }).object as Obj);
  for (let i = 0; i < sizes.deployments; i++) out.push(b.input('deployment').object as Obj);
  for (const p of cluster.pods.slice(0, sizes.hostPods)) {
    const { status: _status, ...manifest } = p;
    out.push(manifest);
  }
  return out;
}

/** Writes the manifests (100 objects per file) and the ranges ConfigMap into `dir` (exported to reproduce a run by hand). */
export async function writeCheckInputs(dir: string, cluster: SyntheticCluster, sizes: CheckSizes) {
  const objs = manifests(cluster, sizes);
  const mdir = join(dir, 'manifests');
  await mkdir(mdir);
  let files = 0;
  for (let i = 0; i < objs.length; i += 100) {
    const text = objs
      .slice(i, i + 100)
      .map((o) => stringify(o, { lineWidth: 0 }))
      .join('---\n');
    await writeFile(join(mdir, `objects-${String(files++).padStart(3, '0')}.yaml`), text);
  }
  const ranges = join(dir, 'ranges.yaml');
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'portguard-node-ranges', namespace: 'portguard-system' },
    data: cluster.configMapData,
  };
  await writeFile(ranges, stringify(cm, { lineWidth: 0 }));
  return { mdir, ranges, objects: objs.length, files };
}

export async function runCheckSection(opts: {
  cluster: SyntheticCluster;
  sizes: CheckSizes;
  log: (msg: string) => void;
}): Promise<CheckResult> {
  const bin = join(repoRoot(), 'bin', 'portguard');
  if (!existsSync(join(repoRoot(), 'dist', 'src', 'main.js'))) {
    throw new Error('dist/src/main.js not found; run "npm run build" first');
  }
  const dir = await mkdtemp(join(tmpdir(), 'portguard-bench-check-'));
  try {
    const input = await writeCheckInputs(dir, opts.cluster, opts.sizes);
    opts.log(`check: ${input.objects} objects in ${input.files} files, ${opts.cluster.nodes.length} nodes`);
    const t0 = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          [bin, 'check', input.mdir, '--ranges', input.ranges, '--output', 'json'],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.on('error', reject);
        child.on('close', (c) =>
          resolve({
            code: c ?? -1,
            stdout: Buffer.concat(out).toString(),
            stderr: Buffer.concat(err).toString(),
          }),
        );
      },
    );
    const wallMs = performance.now() - t0;
    // 0 = nothing denied, 1 = denials found (expected: the mix contains bad objects); 2 = bad input.
    if (code !== 0 && code !== 1) {
      throw new Error(`portguard check exited ${code}: ${stderr.slice(0, 500)}`);
    }
    let findings: number | null = null;
    try {
      const parsed = JSON.parse(stdout) as { findings?: unknown[] };
      findings = Array.isArray(parsed.findings) ? parsed.findings.length : null;
    } catch {
      findings = null;
    }
    return {
      status: 'ok',
      objects: input.objects,
      files: input.files,
      nodes: opts.cluster.nodes.length,
      wallMs: round(wallMs),
      exitCode: code,
      findings,
      stdoutBytes: stdout.length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
