/**
 * What `portguard serve --dev` (what `npm start` runs) adds so it needs nothing: a
 * self-signed certificate in certs/ when none is there, the example ranges, and a curl
 * command that sends a sample review. Not `portguard dev`, which runs against a real
 * cluster (dev-command.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type ClusterRanges, parseNodeRanges } from '../core/node-ranges.js';
import { generateCertificates } from '../tls/generate.js';
import { writeCertificates } from '../tls/write-certs.js';
import { loadRangesFile } from './ranges-file.js';

export const DEV_RANGES_FILE = 'examples/node-ranges.yaml';
export const SAMPLE_REVIEW_FILE = 'examples/sample-review.json';

/**
 * Used by --dev when examples/node-ranges.yaml is missing: worker-1 is the seed-000 node
 * whose ephemeral range was widened over the NodePort range, so the sample review (a
 * Service on nodePort 32582) shows a denial.
 */
export const EMBEDDED_DEV_RANGES: Record<string, string> = {
  nodePortRange: '30000-32767',
  default: '{"ipLocalPortRange": "32768 60999"}',
  'node.worker-1': '{"ipLocalPortRange": "1024 65535", "labels": {"pool": "general"}}',
  'node.worker-2': '{"ipLocalPortRange": "32768 60999", "labels": {"pool": "general"}}',
};

/** The command `--dev` prints: paste it in another terminal to send the sample review. */
export function curlCommand(port: number, caFile: string): string {
  return (
    `curl --cacert ${caFile} -H 'Content-Type: application/json' ` +
    `--data @${SAMPLE_REVIEW_FILE} https://localhost:${port}/validate?timeout=10s`
  );
}

/** Generates a CA and serving certificate for localhost into `<cwd>/certs`, unless a pair is there. */
export async function devCertificates(cwd: string, stderr: (s: string) => void): Promise<void> {
  const dir = path.join(cwd, 'certs');
  if (existsSync(path.join(dir, 'tls.crt')) && existsSync(path.join(dir, 'tls.key'))) return;
  const bundle = await generateCertificates({
    extraDnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  await writeCertificates(dir, bundle);
  stderr(`portguard: generated a self-signed CA and serving certificate in ${dir}\n`);
}

/** The example ranges of the working directory, else the embedded copy. */
export async function devRanges(cwd: string, stderr: (s: string) => void): Promise<ClusterRanges> {
  const file = path.join(cwd, DEV_RANGES_FILE);
  if (existsSync(file)) return loadRangesFile(file);
  stderr(`portguard: ${DEV_RANGES_FILE} not found; serving embedded example ranges\n`);
  return parseNodeRanges(EMBEDDED_DEV_RANGES, 'embedded example ranges').ranges;
}

/** What --dev prints once serving: where, and how to send the sample review (the CA beside the certificate). */
export function devBanner(
  ports: { port: number; healthPort?: number | undefined },
  certFile: string,
  cwd: string,
): string {
  const caFile = path.relative(cwd, path.join(path.dirname(certFile), 'ca.crt')) || 'ca.crt';
  return (
    `portguard: listening on https://localhost:${ports.port} (health on :${ports.healthPort})\n` +
    `Send the sample review:\n  ${curlCommand(ports.port, caFile)}\n`
  );
}
