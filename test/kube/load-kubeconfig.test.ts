/** The one place a KubeConfig is made: from a flag (file, default, in-cluster) or a server URL. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeConfigForServer, loadKubeConfig } from '../../src/kube/load-kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const TWO_CONTEXTS = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://a.example:6443"}
- name: b
  cluster: {server: "https://b.example:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: ctx-a
  context: {cluster: a, user: u}
- name: ctx-b
  context: {cluster: b, user: u}
current-context: ctx-a
`;

describe('loadKubeConfig', () => {
  it('loads a file with its current context, or the context asked for', () => {
    const path = file('two.yaml', TWO_CONTEXTS);
    expect(loadKubeConfig(path).getCurrentCluster()?.server).toBe('https://a.example:6443');
    expect(loadKubeConfig(path, 'ctx-b').getCurrentCluster()?.server).toBe('https://b.example:6443');
  });

  it('names the file when the context or the cluster is missing', () => {
    const path = file('two-again.yaml', TWO_CONTEXTS);
    expect(() => loadKubeConfig(path, 'nope')).toThrow(`no context "nope" in kubeconfig ${path}`);
    const empty = file('empty.yaml', 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    expect(() => loadKubeConfig(empty)).toThrow(`no cluster in kubeconfig ${empty}`);
  });

  it('throws the read error for a file that does not exist', () => {
    expect(() => loadKubeConfig(join(dir, 'missing.yaml'))).toThrow(/ENOENT/);
  });
});

describe('kubeConfigForServer', () => {
  it('points at the URL with no credentials and no TLS verification', () => {
    const kc = kubeConfigForServer('https://127.0.0.1:12345');
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://127.0.0.1:12345', skipTLSVerify: true });
    expect(kc.getCurrentUser()).toMatchObject({ name: 'anonymous' });
    expect(kc.getCurrentUser()?.token).toBeUndefined();
  });
});
