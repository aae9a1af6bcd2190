/**
 * Hot reload of the serving certificate.
 *
 * cert-manager renews the Secret and kubelet swaps the mounted files in place (an atomic
 * `..data` symlink flip), so the webhook must pick up new files without a restart: a restart of
 * a failurePolicy=Fail webhook is exactly the window in which cluster writes fail.
 * `server.setSecureContext()` only affects new handshakes; connections already open keep the
 * context they negotiated, which is why a rotation causes no failed requests.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

/**
 * TLS 1.3 suites plus the TLS 1.2 AEAD/ECDHE suites (Mozilla "intermediate"), i.e. forward
 * secrecy only, no CBC, no RSA key exchange. Every kube-apiserver (Go crypto/tls) offers these.
 */
export const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Options shared by the initial server and every reloaded context, so a reload never weakens TLS. */
function contextOptions(cert: string | Buffer, key: string | Buffer, clientCa?: string | Buffer) {
  const opts: SecureContextOptions = {
    cert,
    key,
    minVersion: 'TLSv1.2',
    ciphers: MODERN_CIPHERS,
    honorCipherOrder: true,
  };
  if (clientCa !== undefined) opts.ca = clientCa;
  return opts;
}

/** Server options built by {@link tlsOptions}; assignable to fastify's `https` and `https.createServer`. */
export interface TlsServerOptions extends SecureContextOptions {
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
}

/**
 * Initial options for `https.createServer` or fastify's `https` option. With `clientCa`, only
 * clients holding a certificate from that CA (the apiserver, see AdmissionConfiguration) get in.
 */
export function tlsOptions(
  cert: string | Buffer,
  key: string | Buffer,
  opts: { clientCa?: string | Buffer | undefined } = {},
): TlsServerOptions {
  const base: TlsServerOptions = contextOptions(cert, key, opts.clientCa);
  if (opts.clientCa !== undefined) {
    base.requestCert = true;
    base.rejectUnauthorized = true;
  }
  return base;
}

/** Where the serving material lives; the same paths are watched for changes. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string | undefined;
}

/**
 * Read the files synchronously and build {@link tlsOptions}: the server cannot start without
 * them, so startup is the one place a blocking read is the right call.
 */
export function loadTlsOptions(files: TlsFiles): TlsServerOptions {
  const m = readMaterialSync(files);
  validateMaterial(m);
  return tlsOptions(m.cert, m.key, { clientCa: m.clientCa });
}

/** Typed so callers can tell a bad certificate from an I/O hiccup in logs and metrics. */
export class CertificateReloadError extends Error {
  override readonly name = 'CertificateReloadError';
}

interface Material {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer | undefined;
}

function readMaterialSync(files: TlsFiles): Material {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    clientCa: files.clientCaFile === undefined ? undefined : readFileSync(files.clientCaFile),
  };
}

async function readMaterial(files: TlsFiles): Promise<Material> {
  const [cert, key, clientCa] = await Promise.all([
    readFile(files.certFile),
    readFile(files.keyFile),
    files.clientCaFile === undefined ? undefined : readFile(files.clientCaFile),
  ]);
  return { cert, key, clientCa };
}

function fingerprint(m: Material): string {
  const h = createHash('sha256');
  for (const part of [m.cert, m.key, m.clientCa ?? Buffer.alloc(0)]) {
    h.update(String(part.length)).update(':').update(part);
  }
  return h.digest('hex');
}

/**
 * Checks the pair before it can reach `setSecureContext`: OpenSSL would accept some mismatches
 * lazily and fail at handshake time, which would turn a bad rotation into failed admissions.
 */
function validateMaterial(m: Material): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(m.cert);
  } catch (err) {
    throw new CertificateReloadError(`certificate does not parse: ${(err as Error).message}`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(m.key);
  } catch (err) {
    throw new CertificateReloadError(`private key does not parse: ${(err as Error).message}`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new CertificateReloadError('private key does not match certificate');
  }
  try {
    createSecureContext(contextOptions(m.cert, m.key, m.clientCa));
  } catch (err) {
    throw new CertificateReloadError(`cannot build TLS context: ${(err as Error).message}`);
  }
}

/** Outcome of one reload attempt, for tests and for callers that reload on a signal. */
export type ReloadResult = 'reloaded' | 'unchanged' | 'failed';

/** Tuning and callbacks for {@link watchCertificates}. */
export interface WatchOptions extends TlsFiles {
  /** Coalesces the burst of events a rename or a kubelet symlink flip produces. */
  debounceMs?: number;
  /** fs.watch misses events on some volumes (NFS, some overlayfs setups); polling is the backstop. */
  pollIntervalMs?: number;
  onReload?: () => void;
  onError?: (err: Error) => void;
}

/** Handle returned by {@link watchCertificates}; `close()` belongs in the server's shutdown path. */
export interface CertificateWatcher {
  /** Check the files now (e.g. on SIGHUP) instead of waiting for an event or the poll. */
  reload(): Promise<ReloadResult>;
  close(): void;
}

/** The only part of `tls.Server` the watcher needs; keeps tests free of a real server when useful. */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

/**
 * Watch the certificate files and swap the server's secure context when they change.
 * Bad files (garbage, a key that does not match) keep the previous context and go to `onError`
 * once they are still bad one debounce later; the same bad content is reported once, not on
 * every poll.
 */
export function watchCertificates(server: SecureContextTarget, opts: WatchOptions): CertificateWatcher {
  const debounceMs = opts.debounceMs ?? 200;
  const pollIntervalMs = opts.pollIntervalMs ?? 10_000;
  const onError = opts.onError ?? (() => {});
  const onReload = opts.onReload ?? (() => {});

  let current: string | undefined;
  let lastFailed: string | undefined;
  let settling: string | undefined;
  try {
    current = fingerprint(readMaterialSync(opts));
  } catch {
    // Leave it unset: the first check will then load whatever is there.
  }

  let closed = false;
  let debounceTimer: NodeJS.Timeout | undefined;
  let inFlight: Promise<ReloadResult> | undefined;
  let rerun = false;

  async function check(): Promise<ReloadResult> {
    let m: Material;
    try {
      m = await readMaterial(opts);
    } catch (err) {
      // Mid-rotation a file can be missing for an instant; the next event or poll retries.
      onError(new CertificateReloadError(`cannot read certificate files: ${(err as Error).message}`));
      return 'failed';
    }
    const fp = fingerprint(m);
    if (fp === current) return 'unchanged';
    if (fp === lastFailed) return 'failed';
    try {
      validateMaterial(m);
      server.setSecureContext(contextOptions(m.cert, m.key, m.clientCa));
    } catch (err) {
      // Writers that replace cert and key one after the other (`portguard certs --force`,
      // cp) leave a mismatched pair for a moment. Look again once before calling it an
      // error, so a normal rotation does not page anyone.
      if (settling !== fp) {
        settling = fp;
        schedule();
        return 'failed';
      }
      settling = undefined;
      lastFailed = fp;
      onError(err instanceof CertificateReloadError ? err : new CertificateReloadError(String(err)));
      return 'failed';
    }
    current = fp;
    settling = undefined;
    lastFailed = undefined;
    onReload();
    return 'reloaded';
  }

  // Serialise checks; an event during a check schedules exactly one more run afterwards.
  function reload(): Promise<ReloadResult> {
    if (inFlight) {
      rerun = true;
      return inFlight;
    }
    inFlight = check().finally(() => {
      inFlight = undefined;
      if (rerun && !closed) {
        rerun = false;
        void reload();
      }
    });
    return inFlight;
  }

  function schedule(): void {
    if (closed) return;
    if (debounceTimer) clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => {
      debounceTimer = undefined;
      void reload();
    }, debounceMs);
    debounceTimer.unref();
  }

  // Watch directories, not files: an atomic rename or kubelet's symlink flip replaces the inode,
  // after which a file watch would silently watch nothing.
  const dirs = new Set([dirname(opts.certFile), dirname(opts.keyFile)]);
  if (opts.clientCaFile !== undefined) dirs.add(dirname(opts.clientCaFile));
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    try {
      const w = watch(dir, { persistent: false }, () => schedule());
      w.on('error', (err) => {
        onError(new CertificateReloadError(`watch on ${dir} failed, polling only: ${err.message}`));
        w.close();
      });
      watchers.push(w);
    } catch (err) {
      onError(new CertificateReloadError(`cannot watch ${dir}, polling only: ${(err as Error).message}`));
    }
  }
  const poll = setInterval(() => void reload(), pollIntervalMs);
  poll.unref();

  return {
    reload,
    close() {
      closed = true;
      clearInterval(poll);
      if (debounceTimer) clearTimeout(debounceTimer);
      for (const w of watchers) w.close();
    },
  };
}
