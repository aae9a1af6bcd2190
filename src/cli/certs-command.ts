/**
 * `portguard certs`: mint the CA and serving certificate for the self-signed install path.
 * The flags are declared in commands/certs.ts; `runCertsCommand` owns the I/O and the exit code
 * so it can be tested without spawning a process.
 */
import { CertificateOptionsError, generateCertificates } from '../tls/generate.js';
import {
  CertificateExistsError,
  caBundle,
  writeCertificates,
  writeOverlayCertificates,
} from '../tls/write-certs.js';
import { ExitCode } from './exit-codes.js';

/** Flags of `portguard certs`, already parsed and defaulted by the caller. */
export interface CertsCommandOptions {
  out: string;
  service: string;
  namespace: string;
  days: number;
  force: boolean;
  /** Overlay directory (e.g. manifests/overlays/self-signed) whose `certs/` receives copies. */
  writeOverlay?: string;
}

/** Output sinks, injected so tests can capture them and stdout stays machine-readable. */
export interface CertsCommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/**
 * Generate and write the certificates, then print only the caBundle on stdout so that
 * `CA=$(portguard certs)` works; everything human-readable goes to stderr.
 */
export async function runCertsCommand(opts: CertsCommandOptions, io: CertsCommandIo): Promise<number> {
  try {
    const bundle = await generateCertificates({
      service: opts.service,
      namespace: opts.namespace,
      days: opts.days,
    });
    const files = await writeCertificates(opts.out, bundle, { force: opts.force });
    io.stderr(`portguard: wrote ${files.caCert}, ${files.caKey}, ${files.cert}, ${files.key}\n`);
    if (opts.writeOverlay !== undefined) {
      const copies = await writeOverlayCertificates(opts.writeOverlay, bundle);
      io.stderr(`portguard: copied ${copies.join(', ')} (caBundle is derived from ca.crt by kustomize)\n`);
    }
    io.stdout(`${caBundle(bundle)}\n`);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CertificateExistsError || err instanceof CertificateOptionsError) {
      io.stderr(`portguard: ${err.message}\n`);
      return ExitCode.BadInput;
    }
    const e = err as NodeJS.ErrnoException;
    io.stderr(`portguard: cannot write certificates: ${e.code ?? ''} ${e.message}\n`);
    return ExitCode.BadInput;
  }
}

export interface CertsFlags {
  out: string;
  service: string;
  namespace: string;
  days: string;
  force?: boolean;
  writeOverlay?: string;
}

/** `--days` as a whole number of days, or undefined when it is not one. */
export function parseDays(raw: string): number | undefined {
  const trimmed = raw.trim();
  return /^[0-9]+$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** The `portguard certs` action (flags declared in commands/certs.ts). */
export async function certsAction(flags: CertsFlags): Promise<ExitCode> {
  const io = {
    stdout: (s: string) => process.stdout.write(s),
    stderr: (s: string) => process.stderr.write(s),
  };
  const days = parseDays(flags.days);
  if (days === undefined) {
    io.stderr(`portguard: --days: must be a whole number of days between 1 and 3650, got "${flags.days}"\n`);
    return ExitCode.BadInput;
  }
  return runCertsCommand(
    {
      out: flags.out,
      service: flags.service,
      namespace: flags.namespace,
      days,
      force: flags.force === true,
      ...(flags.writeOverlay !== undefined ? { writeOverlay: flags.writeOverlay } : {}),
    },
    io,
  );
}
