/**
 * Writes a {@link CertificateBundle} to disk in the layout that `portguard serve`, the
 * self-signed overlay and Kubernetes TLS Secrets all share (`tls.crt`, `tls.key`, `ca.crt`).
 */
import { constants } from 'node:fs';
import { access, chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateBundle } from './generate.js';

/**
 * Raised instead of overwriting a key: replacing a CA key silently would break every caBundle
 * already installed in a cluster, so the operator must opt in with `--force`.
 */
export class CertificateExistsError extends Error {
  override readonly name = 'CertificateExistsError';
  constructor(readonly file: string) {
    super(`refusing to overwrite existing key ${file} (use --force to replace it)`);
  }
}

/** Paths written by {@link writeCertificates}, returned so callers can report them. */
export interface WrittenFiles {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

/** Controls overwrite behaviour; `force` is the CLI's `--force`. */
export interface WriteOptions {
  force?: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Write via a temp file and rename so a running server's certificate watcher never reads a
 * half-written PEM; the mode is set before the rename so a key is never briefly world-readable.
 */
async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/**
 * Write `ca.crt`, `ca.key`, `tls.crt` and `tls.key` into `outDir`. Keys get mode 0600.
 * Each file is replaced atomically, but the pair is not: a watching server may briefly see a new
 * cert with the old key, which the reloading context rejects while keeping the old context.
 */
export async function writeCertificates(
  outDir: string,
  bundle: CertificateBundle,
  opts: WriteOptions = {},
): Promise<WrittenFiles> {
  const files: WrittenFiles = {
    caCert: join(outDir, 'ca.crt'),
    caKey: join(outDir, 'ca.key'),
    cert: join(outDir, 'tls.crt'),
    key: join(outDir, 'tls.key'),
  };
  if (!opts.force) {
    for (const keyFile of [files.caKey, files.key]) {
      if (await exists(keyFile)) throw new CertificateExistsError(keyFile);
    }
  }
  await mkdir(outDir, { recursive: true });
  await writeAtomic(files.caCert, bundle.caCert, 0o644);
  await writeAtomic(files.caKey, bundle.caKey, 0o600);
  await writeAtomic(files.cert, bundle.cert, 0o644);
  await writeAtomic(files.key, bundle.key, 0o600);
  return files;
}

/**
 * The value for `webhooks[].clientConfig.caBundle`: base64 of the CA PEM (not the leaf), so
 * that the serving certificate can be renewed under the same CA without editing the webhooks.
 */
export function caBundle(bundle: Pick<CertificateBundle, 'caCert'>): string {
  return Buffer.from(bundle.caCert, 'utf8').toString('base64');
}

/**
 * Copy the files the self-signed overlay's secretGenerator reads into `<overlayDir>/certs/`.
 * kustomize refuses to load files outside the kustomization root by default, so copying is
 * what makes a plain `kubectl apply -k` work. The CA key stays out: it must never reach a Secret.
 * The overlay derives caBundle from `ca.crt` with a kustomize replacement, so no patch is written.
 */
export async function writeOverlayCertificates(
  overlayDir: string,
  bundle: CertificateBundle,
): Promise<string[]> {
  const dir = join(overlayDir, 'certs');
  await mkdir(dir, { recursive: true });
  const written = [join(dir, 'ca.crt'), join(dir, 'tls.crt'), join(dir, 'tls.key')];
  await writeAtomic(written[0]!, bundle.caCert, 0o644);
  await writeAtomic(written[1]!, bundle.cert, 0o644);
  await writeAtomic(written[2]!, bundle.key, 0o600);
  return written;
}
