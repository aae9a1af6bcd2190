/**
 * `portguard serve` flags into options, without starting anything. The runs themselves
 * (exit 2 on each of these errors, the servers they start) are in
 * test/server/serve-command.test.ts and test/kube/leader-serve.test.ts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRIPT_THREADS,
  resolveServeOptions,
  type ServeFlags,
  StartupError,
} from '../../src/cli/serve-options.js';

const CWD = path.resolve('/srv/portguard');
const resolve = (flags: Partial<ServeFlags>) =>
  resolveServeOptions({ port: 8443, healthPort: 8081, ...flags }, CWD);

describe('resolveServeOptions', () => {
  it('fills in the defaults: all addresses, certs/ under the working directory, 3 s deadline, no drain', () => {
    expect(resolve({ ranges: 'ranges.yaml' })).toEqual({
      port: 8443,
      healthPort: 8081,
      host: '0.0.0.0',
      healthHost: '0.0.0.0',
      tls: { certFile: path.join(CWD, 'certs/tls.crt'), keyFile: path.join(CWD, 'certs/tls.key') },
      dev: false,
      devCertificates: false,
      state: { kind: 'ranges', file: path.join(CWD, 'ranges.yaml') },
      drainPeriodMs: 0,
      scriptThreads: DEFAULT_SCRIPT_THREADS,
      reviewDeadlineMs: 3_000,
    });
  });

  it('--dev listens on loopback, generates certificates unless given, and serves the examples', () => {
    expect(resolve({ dev: true })).toMatchObject({
      host: '127.0.0.1',
      healthHost: '127.0.0.1',
      dev: true,
      devCertificates: true,
      state: { kind: 'dev' },
    });
    expect(resolve({ dev: true, tlsCert: 'a.crt' }).devCertificates).toBe(false);
    expect(resolve({ dev: true, host: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('a state flag wins over --dev: --kubeconfig with the default names, or --ranges', () => {
    expect(resolve({ dev: true, kubeconfig: 'in-cluster' }).state).toEqual({
      kind: 'kubeconfig',
      kubeconfig: 'in-cluster',
      namespace: 'portguard-system',
      configMapName: 'portguard-node-ranges',
      configMapLookup: true,
    });
    expect(resolve({ dev: true, ranges: 'r.yaml' }).state).toEqual({
      kind: 'ranges',
      file: path.join(CWD, 'r.yaml'),
    });
    expect(
      resolve({ kubeconfig: 'k', namespace: 'ns', configmap: 'cm', configmapLookup: false }).state,
    ).toMatchObject({ namespace: 'ns', configMapName: 'cm', configMapLookup: false });
  });

  it('leaves the state unset when no flag names one (the run refuses it after checking the TLS files)', () => {
    expect(resolve({}).state).toBeUndefined();
  });

  it('resolves files against the working directory', () => {
    const o = resolve({
      ranges: 'r.yaml',
      tlsCert: 'c/t.crt',
      tlsKey: '/abs/t.key',
      clientCa: 'ca.crt',
      config: 'p.yaml',
    });
    expect(o.tls).toEqual({
      certFile: path.join(CWD, 'c/t.crt'),
      keyFile: '/abs/t.key',
      clientCaFile: path.join(CWD, 'ca.crt'),
    });
    expect(o.policyFile).toBe(path.join(CWD, 'p.yaml'));
  });

  it('converts the durations; prune only when pruning, a drain of 0 closes at once', () => {
    const o = resolve({
      kubeconfig: 'k',
      auditInterval: '10m',
      pruneNodeKeys: true,
      pruneInterval: '2m',
      drainPeriod: '10s',
      reviewDeadline: '500ms',
      scriptThreads: 0,
    });
    expect(o).toMatchObject({
      auditIntervalMs: 600_000,
      pruneIntervalMs: 120_000,
      drainPeriodMs: 10_000,
      reviewDeadlineMs: 500,
      scriptThreads: 0,
    });
    expect(resolve({ kubeconfig: 'k', pruneNodeKeys: true }).pruneIntervalMs).toBe(600_000);
    expect(resolve({ kubeconfig: 'k', pruneInterval: '2m' }).pruneIntervalMs).toBeUndefined();
    expect(resolve({ ranges: 'r', drainPeriod: '0' }).drainPeriodMs).toBe(0);
  });

  it.each([
    [{ ranges: 'x', kubeconfig: 'y' }, 'use either --ranges or --kubeconfig, not both'],
    [
      { ranges: 'x', auditInterval: '10m' },
      '--audit-interval needs --kubeconfig (it writes PolicyReports to the cluster)',
    ],
    [{ ranges: 'x', configmap: 'r' }, '--configmap needs --kubeconfig (it names the ConfigMap to watch)'],
    [
      { kubeconfig: 'k', auditInterval: 'often' },
      '--audit-interval: invalid duration "often"; use e.g. 30s, 500ms, 2m',
    ],
    [
      { kubeconfig: 'k', pruneNodeKeys: true, pruneInterval: '0s' },
      '--prune-interval: duration "0s" must be positive',
    ],
    [
      { ranges: 'x', drainPeriod: 'soon' },
      '--drain-period: invalid duration "soon"; use e.g. 30s, 500ms, 2m',
    ],
    [
      { ranges: 'x', scriptThreads: 0, reviewDeadline: '-1s' },
      '--review-deadline: invalid duration "-1s"; use e.g. 30s, 500ms, 2m',
    ],
  ] as [Partial<ServeFlags>, string][])('refuses %j', (flags, message) => {
    let thrown: unknown;
    try {
      resolve(flags);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StartupError);
    expect((thrown as Error).message).toBe(message);
  });
});
