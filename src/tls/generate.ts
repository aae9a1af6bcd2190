/**
 * Certificate generation for the webhook's serving certificate.
 *
 * The apiserver only calls webhooks over TLS and verifies the serving certificate against the
 * `caBundle` in the webhook configuration, so we mint a private CA plus a leaf signed by it. The CA
 * (not the leaf) goes into `caBundle`, which lets the leaf be rotated without touching the webhook
 * configurations as long as the CA stays the same.
 */
import { randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import { DEFAULT_DAYS } from './defaults.js';

export { DEFAULT_DAYS };

/** Options for {@link generateCertificates}; defaults match the manifests in `manifests/base`. */
export interface GenerateOptions {
  service?: string;
  namespace?: string;
  /** Validity of both the CA and the serving certificate, in days. */
  days?: number;
  /** Extra DNS SANs, e.g. `localhost` for `npm start` and for tests on loopback. */
  extraDnsNames?: string[];
  /** IP SANs, e.g. `127.0.0.1` for URL-based webhooks in `portguard dev`. */
  ipAddresses?: string[];
}

/** PEM-encoded CA and serving certificate/key, exactly what `certs/` and the TLS Secret hold. */
export interface CertificateBundle {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

/** Typed so the CLI can map it to exit code 2 instead of a stack trace. */
export class CertificateOptionsError extends Error {
  override readonly name = 'CertificateOptionsError';
}

// Backdate so a node whose clock runs slightly behind ours does not reject a brand-new cert.
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
// RFC 1123 label; kept strict because these names end up in DNS SANs and Service names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The DNS names the apiserver may use to reach the Service. It dials `<svc>.<ns>.svc`, but
 * the shorter and fully qualified forms are included so that in-cluster debugging with curl works.
 */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/**
 * Generate a fresh CA and a serving certificate signed by it.
 *
 * ECDSA P-256 is used because it is fast to generate (tests rotate certificates repeatedly) and
 * every supported apiserver and Go TLS stack accepts it.
 */
export async function generateCertificates(opts: GenerateOptions = {}): Promise<CertificateBundle> {
  const service = opts.service ?? 'portguard';
  const namespace = opts.namespace ?? 'portguard-system';
  const days = opts.days ?? DEFAULT_DAYS;
  if (!DNS_LABEL.test(service)) throw new CertificateOptionsError(`invalid service name: ${service}`);
  if (!DNS_LABEL.test(namespace)) throw new CertificateOptionsError(`invalid namespace: ${namespace}`);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new CertificateOptionsError(`days must be an integer between 1 and 3650, got ${days}`);
  }

  const notBeforeDate = new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfterDate = new Date(notBeforeDate.getTime() + CLOCK_SKEW_MS + days * DAY_MS);

  // A unique CA subject (the client-go `name@unixtime` convention): selfsigned writes no key
  // identifiers, so OpenSSL-based clients pick an issuer by subject alone and, with two CAs of the
  // same name in a bundle during rotation, would verify against the wrong one.
  const caName = `${service}-ca@${Math.floor(Date.now() / 1000)}-${randomBytes(3).toString('hex')}`;
  const ca = await generate([{ name: 'commonName', value: caName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });

  const dnsNames = [...new Set([...serviceDnsNames(service, namespace), ...(opts.extraDnsNames ?? [])])];
  const ips = [...new Set(opts.ipAddresses ?? [])];
  const leaf = await generate([{ name: 'commonName', value: `${service}.${namespace}.svc` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      // ECDSA keys sign the handshake; keyEncipherment is an RSA-only usage.
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...dnsNames.map((value) => ({ type: 2 as const, value })),
          ...ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });

  return { caCert: ca.cert, caKey: ca.private, cert: leaf.cert, key: leaf.private };
}
