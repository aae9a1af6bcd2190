import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ScriptAnalysis, ScriptEnv } from '../../src/shell/index.js';
import { analyzer, PORT_RANGE } from './helpers.js';

// CI clones the repo with `shared` beside it: <repo>/../shared/fixtures.
const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(here, '../../../shared/fixtures/manifests');

interface Container {
  name?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[];
}

/** The pod spec of a Pod, workload template or CronJob: the first object holding `containers`. */
function podSpec(obj: unknown): Record<string, unknown> | undefined {
  const stack: unknown[] = [obj];
  while (stack.length > 0) {
    const o = stack.pop();
    if (!o || typeof o !== 'object') continue;
    if (Array.isArray((o as Record<string, unknown>).containers)) return o as Record<string, unknown>;
    stack.push(...Object.values(o));
  }
  return undefined;
}

function envOf(c: Container): ScriptEnv {
  const env: ScriptEnv = {};
  for (const e of c.env ?? []) {
    const fieldRef = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = fieldRef !== undefined ? { fieldRef } : { value: e.value ?? '' };
  }
  return env;
}

async function analyseFixture(file: string): Promise<ScriptAnalysis[]> {
  const a = await analyzer();
  const out: ScriptAnalysis[] = [];
  for (const doc of parseAllDocuments(readFileSync(path.join(FIXTURES, file), 'utf8'))) {
    const spec = podSpec(doc.toJS());
    const containers = [
      ...((spec?.initContainers as Container[] | undefined) ?? []),
      ...((spec?.containers as Container[] | undefined) ?? []),
    ];
    for (const c of containers) out.push(a.analyzeContainer(c.command, c.args, envOf(c)));
  }
  return out;
}

describe('shared fixtures', () => {
  it('pod-hostnet-seed: unguarded port range and somaxconn', async () => {
    const writes = (await analyseFixture('pod-hostnet-seed.yaml')).flatMap((r) => r.writes);
    expect(writes).toEqual([
      { key: 'net.core.somaxconn', value: '65535', via: 'sysctl', onlyInOwnNetns: false, line: 1 },
      { key: PORT_RANGE, value: '1024 65535', via: 'sysctl', onlyInOwnNetns: false, line: 2 },
    ]);
  });

  it('deploy-guarded: the write is guarded', async () => {
    const writes = (await analyseFixture('deploy-guarded.yaml')).flatMap((r) => r.writes);
    expect(writes).toEqual([
      { key: PORT_RANGE, value: '1024 65535', via: 'sysctl', onlyInOwnNetns: true, line: 3 },
    ]);
  });

  it('cronjob: tcp_tw_recycle=1', async () => {
    const writes = (await analyseFixture('cronjob.yaml')).flatMap((r) => r.writes);
    expect(writes).toMatchObject([{ key: 'net.ipv4.tcp_tw_recycle', value: '1', onlyInOwnNetns: false }]);
  });

  it.each(['pod-sysctls.yaml', 'ds-hostport.yaml', 'svc-clusterip.yaml'])(
    '%s: no script writes',
    async (file) => {
      const results = await analyseFixture(file);
      expect(results.flatMap((r) => r.writes)).toEqual([]);
      expect(results.every((r) => r.unknown === undefined)).toBe(true);
    },
  );
});
