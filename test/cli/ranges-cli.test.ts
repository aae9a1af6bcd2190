/**
 * `./bin/portguard ranges export` and `check --kubeconfig` end to end: flags, files and exit
 * codes through the real binary, against the list/watch test server with a kubeconfig file
 * and a non-default namespace. `check --kubeconfig` runs in-process (runCheck, what the
 * command calls); check-cli.test.ts pins check's process contract.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListWatchServer, startListWatchServer } from '../support/list-watch-server.js';
import { nodeObject, rangesConfigMap, reportObject } from '../support/node-data.js';
import { checkInProcess } from './check-in-process.js';
import { ensureBuilt, mkTmp, runCli } from './run-cli.js';

const LOC = { namespace: 'infra', name: 'ranges' };
const AT = ['--namespace', LOC.namespace, '--configmap', LOC.name];

let server: ListWatchServer;
let tmp: string;
let kubeconfig: string;

beforeAll(async () => {
  await ensureBuilt();
  server = await startListWatchServer({
    seed: {
      configmaps: [
        rangesConfigMap(LOC, { default: '{"ipLocalPortRange": "32768 60999"}' }),
        reportObject(LOC, 'w1', { ipLocalPortRange: '1024 65535' }),
      ],
      nodes: [nodeObject('w1', { 'kubernetes.io/hostname': 'w1' }), nodeObject('w2')],
    },
  });
  tmp = mkTmp('pg-ranges-cli-');
  kubeconfig = join(tmp, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeConfig().exportConfig());
  writeFileSync(
    join(tmp, 'svc.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 32582}]}\n',
  );
}, 180_000);

afterAll(async () => {
  await server.close();
});

describe('portguard ranges export (binary)', () => {
  it('writes the export to -o FILE, which check --ranges then reads', async () => {
    const r = await runCli(['ranges', 'export', '--kubeconfig', kubeconfig, ...AT, '-o', 'export.yaml'], {
      cwd: tmp,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(join(tmp, 'export.yaml'), 'utf8')).toContain(
      '  node.w1: \'{"ipLocalPortRange":"1024 65535"',
    );
    const check = await runCli(['check', 'svc.yaml', '--ranges', 'export.yaml', '--output', 'json'], {
      cwd: tmp,
    });
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout).findings.map((f: { nodes: string[] }) => f.nodes)).toEqual([['w1']]);
  });

  it('exits 2 on an unknown flag, and when the cluster cannot be read', async () => {
    expect((await runCli(['ranges', 'export', '--bogus'])).code).toBe(2);
    const r = await runCli(['ranges', 'export', '--kubeconfig', kubeconfig, '--context', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no context "nope"/);
  });
});

describe('portguard check --kubeconfig', () => {
  it('reads the node data live', async () => {
    const r = await checkInProcess(
      { paths: ['svc.yaml'], kubeconfig, namespace: LOC.namespace, configmap: LOC.name, output: 'json' },
      { cwd: tmp },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { nodes: string[] }) => f.nodes)).toEqual([['w1']]);
  });

  it('refuses --ranges with --kubeconfig (exit 2)', async () => {
    const r = await checkInProcess({ paths: ['svc.yaml'], ranges: 'x.yaml', kubeconfig }, { cwd: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('portguard check: use either --ranges FILE or --kubeconfig FILE, not both\n');
  });
});
