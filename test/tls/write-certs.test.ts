import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCertsCommand } from '../../src/cli/certs-command.js';
import { type CertificateBundle, generateCertificates } from '../../src/tls/generate.js';
import {
  CertificateExistsError,
  caBundle,
  writeCertificates,
  writeOverlayCertificates,
} from '../../src/tls/write-certs.js';

let dir: string;
let bundle: CertificateBundle;

beforeAll(async () => {
  bundle = await generateCertificates();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portguard-certs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeCertificates', () => {
  it('writes the four files with private keys readable by the owner only', async () => {
    const files = await writeCertificates(join(dir, 'out'), bundle);
    expect(await readFile(files.cert, 'utf8')).toBe(bundle.cert);
    expect(await readFile(files.caCert, 'utf8')).toBe(bundle.caCert);
    expect((await stat(files.key)).mode & 0o777).toBe(0o600);
    expect((await stat(files.caKey)).mode & 0o777).toBe(0o600);
    expect((await stat(files.cert)).mode & 0o777).toBe(0o644);
  });

  it.each(['tls.key', 'ca.key'])('refuses to overwrite an existing %s without force', async (name) => {
    await writeFile(join(dir, name), 'keep me');
    const err = await writeCertificates(dir, bundle).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateExistsError);
    expect((err as CertificateExistsError).file).toBe(join(dir, name));
    expect((err as Error).message).toContain(name);
    expect(await readFile(join(dir, name), 'utf8')).toBe('keep me');
  });

  it('overwrites with force', async () => {
    await writeFile(join(dir, 'tls.key'), 'old');
    await writeCertificates(dir, bundle, { force: true });
    expect(await readFile(join(dir, 'tls.key'), 'utf8')).toBe(bundle.key);
  });

  it('caBundle is the base64 of the CA certificate, not of the leaf', () => {
    expect(Buffer.from(caBundle(bundle), 'base64').toString('utf8')).toBe(bundle.caCert);
  });

  it('copies only the public CA and the serving pair into an overlay', async () => {
    const written = await writeOverlayCertificates(dir, bundle);
    expect(written.map((p) => p.slice(dir.length + 1)).sort()).toEqual([
      'certs/ca.crt',
      'certs/tls.crt',
      'certs/tls.key',
    ]);
    await expect(stat(join(dir, 'certs', 'ca.key'))).rejects.toThrow();
  });
});

describe('runCertsCommand', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) } };
  }
  const base = { service: 'portguard', namespace: 'portguard-system', days: 10, force: false };

  it('prints only the caBundle on stdout and exits 0', async () => {
    const c = io();
    const code = await runCertsCommand({ ...base, out: dir, writeOverlay: join(dir, 'overlay') }, c.io);
    expect(code).toBe(0);
    expect(c.out).toHaveLength(1);
    const ca = Buffer.from(c.out[0]!.trim(), 'base64').toString('utf8');
    expect(ca).toBe(await readFile(join(dir, 'ca.crt'), 'utf8'));
    expect(await readFile(join(dir, 'overlay', 'certs', 'ca.crt'), 'utf8')).toBe(ca);
  });

  it('exits 2 naming the key when it would overwrite, and succeeds with force', async () => {
    await runCertsCommand({ ...base, out: dir }, io().io);
    const c = io();
    expect(await runCertsCommand({ ...base, out: dir }, c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join('')).toContain(join(dir, 'ca.key'));
    expect(await runCertsCommand({ ...base, out: dir, force: true }, io().io)).toBe(0);
  });

  it('exits 2 on bad options', async () => {
    const c = io();
    expect(await runCertsCommand({ ...base, out: dir, days: -1 }, c.io)).toBe(2);
    expect(c.err.join('')).toContain('days');
  });
});
