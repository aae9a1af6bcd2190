/** `./bin/portguard audit` and `dev` end to end against the list/watch test server. */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEV_WEBHOOK_NAME } from '../../src/cli/dev-webhooks.js';
import { BIN, ensureBuilt, mkTmp, ROOT, runCli } from '../cli/run-cli.js';
import { type ListWatchServer, startListWatchServer } from '../support/list-watch-server.js';
import { KERNEL, service } from './cluster-fixtures.js';

const AR = 'admissionregistration.k8s.io/v1';

beforeAll(ensureBuilt, 180_000);

let server: ListWatchServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clusterWithKubeconfig(): Promise<{ server: ListWatchServer; kubeconfig: string }> {
  const s = await startListWatchServer({
    seed: {
      configmaps: [
        {
          metadata: { namespace: 'portguard-system', name: 'portguard-node-ranges' },
          data: { 'node.worker-1': '{"ipLocalPortRange": "1024 65535"}', default: KERNEL },
        },
      ],
      nodes: [{ metadata: { name: 'worker-1' } }],
      services: [service('web', 'api', [32582])],
    },
  });
  const kubeconfig = path.join(mkTmp('pg-audit-cli-'), 'kubeconfig');
  await writeFile(kubeconfig, s.kubeConfig().exportConfig());
  server = s;
  return { server: s, kubeconfig };
}

describe('portguard audit (binary)', () => {
  it('prints JSON alone on stdout and exits 0 even with deny findings', async () => {
    const { kubeconfig } = await clusterWithKubeconfig();
    const r = await runCli(['audit', '--kubeconfig', kubeconfig, '--output', 'json', '--fix']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout);
    expect(json.summary.deny).toBe(1);
    // worker-1's range covers the whole NodePort range: no safe port exists, so the fix says so.
    expect(json.fixes[0].command).toMatch(/^# web\/api: no safe free nodePort left/);
  });

  it('exits 2 when the kubeconfig cannot be read', async () => {
    const r = await runCli(['audit', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot load kubeconfig');
  });
});

describe('portguard dev (binary)', () => {
  it('registers the portguard-dev webhooks and removes them on SIGINT', async () => {
    const { server, kubeconfig } = await clusterWithKubeconfig();
    const child = spawn(
      process.execPath,
      [BIN, 'dev', '--kubeconfig', kubeconfig, '--port', '0', '--host', '127.0.0.1'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dev did not start: ${stderr}`)), 20_000);
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (stderr.includes('Ctrl-C removes them')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(server.get(`${AR}/validatingwebhookconfigurations`, DEV_WEBHOOK_NAME)).toBeDefined();
    expect(server.get(`${AR}/mutatingwebhookconfigurations`, DEV_WEBHOOK_NAME)).toBeDefined();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('removed the portguard-dev webhook configurations');
    expect(server.get(`${AR}/validatingwebhookconfigurations`, DEV_WEBHOOK_NAME)).toBeUndefined();
    expect(server.get(`${AR}/mutatingwebhookconfigurations`, DEV_WEBHOOK_NAME)).toBeUndefined();
  }, 40_000);
});
