import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CertificateOptionsError, generateCertificates, serviceDnsNames } from '../../src/tls/generate.js';

function sans(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(', ').filter(Boolean);
}

describe('generateCertificates', () => {
  it('issues a serving cert for the in-cluster Service names, signed by a fresh CA', async () => {
    const b = await generateCertificates();
    const ca = new X509Certificate(b.caCert);
    const leaf = new X509Certificate(b.cert);

    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.issuer).toBe(ca.subject);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(sans(leaf)).toEqual([
      'DNS:portguard',
      'DNS:portguard.portguard-system',
      'DNS:portguard.portguard-system.svc',
      'DNS:portguard.portguard-system.svc.cluster.local',
    ]);
    expect(leaf.checkHost('portguard.portguard-system.svc')).toBe('portguard.portguard-system.svc');
    expect(leaf.keyUsage ?? []).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    expect(b.key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(b.caKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('honours service, namespace, days and the loopback SANs', async () => {
    const before = Date.now();
    const b = await generateCertificates({
      service: 'pg',
      namespace: 'ops',
      days: 30,
      extraDnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const leaf = new X509Certificate(b.cert);
    expect(sans(leaf)).toEqual([
      ...serviceDnsNames('pg', 'ops').map((n) => `DNS:${n}`),
      'DNS:localhost',
      'IP Address:127.0.0.1',
    ]);
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const from = Date.parse(leaf.validFrom);
    const to = Date.parse(leaf.validTo);
    // Backdated for clock skew, and expires after `days` (+ the same skew).
    expect(from).toBeLessThanOrEqual(before);
    expect(from).toBeGreaterThan(before - 10 * 60_000);
    const days = (to - before) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
  });

  it('makes a new CA each time, so a leaked key is not reused', async () => {
    const [a, b] = await Promise.all([generateCertificates(), generateCertificates()]);
    expect(a.caCert).not.toBe(b.caCert);
    expect(new X509Certificate(a.cert).verify(new X509Certificate(b.caCert).publicKey)).toBe(false);
  });

  it.each([[{ service: 'Bad_Name' }], [{ namespace: 'a.b' }], [{ days: 0 }], [{ days: 1.5 }]])(
    'rejects invalid options %j with a typed error',
    async (opts) => {
      await expect(generateCertificates(opts)).rejects.toBeInstanceOf(CertificateOptionsError);
    },
  );
});
