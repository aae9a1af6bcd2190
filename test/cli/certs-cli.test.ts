/**
 * `portguard certs`: files, SANs, caBundle on stdout, refusals. The binary runs where the
 * process is the subject (exit codes, what goes to stdout); the range check, the overlay and
 * the help run in-process (runCertsCommand, runProgram), the same code the binary calls.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertsCommandOptions, parseDays, runCertsCommand } from '../../src/cli/certs-command.js';
import { runProgram } from '../../src/cli/program.js';
import { DEFAULT_DAYS } from '../../src/tls/defaults.js';
import { ensureBuilt, mkTmp, runCli } from './run-cli.js';

const tmp = mkTmp('portguard-certs-cli-');
beforeAll(ensureBuilt, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** runCertsCommand with the command's defaults, output captured. */
async function certs(opts: Partial<CertsCommandOptions> & Pick<CertsCommandOptions, 'out'>) {
  let stdout = '';
  let stderr = '';
  const code = await runCertsCommand(
    { service: 'portguard', namespace: 'portguard-system', days: DEFAULT_DAYS, force: false, ...opts },
    {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
    },
  );
  return { code, stdout, stderr };
}

describe('parseDays', () => {
  it.each([
    ['365', 365],
    [' 30 ', 30],
    ['0', 0],
    ['', undefined],
    ['1x', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['1e3', undefined],
  ])('%j -> %j', (raw, want) => {
    expect(parseDays(raw)).toBe(want);
  });
});

describe('portguard certs', () => {
  it('writes CA and serving cert for the Service DNS name and prints the caBundle', async () => {
    const out = join(tmp, 'a');
    const r = await runCli(['certs', '--out', out, '--service', 'pg', '--namespace', 'sec', '--days', '10']);
    expect(r.code, r.stderr).toBe(0);
    const ca = readFileSync(join(out, 'ca.crt'), 'utf8');
    expect(r.stdout.trim()).toBe(Buffer.from(ca).toString('base64'));
    const leaf = new X509Certificate(readFileSync(join(out, 'tls.crt')));
    expect(leaf.subjectAltName).toContain('DNS:pg.sec.svc');
    expect(leaf.verify(new X509Certificate(ca).publicKey)).toBe(true);
    const days = (Date.parse(leaf.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(9);
    expect(days).toBeLessThan(11);
    expect(r.stderr).toContain('wrote');
  }, 60_000);

  it('refuses to overwrite an existing key without --force, and replaces it with --force', async () => {
    const out = join(tmp, 'b');
    expect((await runCli(['certs', '--out', out])).code).toBe(0);
    const before = readFileSync(join(out, 'tls.key'), 'utf8');
    const refused = await runCli(['certs', '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to overwrite .*--force/);
    expect(readFileSync(join(out, 'tls.key'), 'utf8')).toBe(before);
    const forced = await runCli(['certs', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(out, 'tls.key'), 'utf8')).not.toBe(before);
  }, 60_000);

  it('--days 1x exits 2 and writes nothing', async () => {
    const out = join(tmp, 'days-1x');
    const r = await runCli(['certs', '--out', out, '--days', '1x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--days: must be a whole number/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(out, 'ca.key'))).toBe(false);
  }, 60_000);

  it.each([
    [0, /between 1 and 3650/],
    [5000, /between 1 and 3650/],
  ])('--days %i exits 2 and writes nothing (in-process)', async (days, message) => {
    const out = join(tmp, `days-${days}`);
    const r = await certs({ out, days });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(join(out, 'ca.key'))).toBe(false);
  });

  it('copies the public parts into the self-signed overlay, never the CA key', async () => {
    const out = join(tmp, 'c');
    const overlay = join(tmp, 'overlay');
    const r = await certs({ out, writeOverlay: overlay });
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) {
      expect(readFileSync(join(overlay, 'certs', f), 'utf8')).toBe(readFileSync(join(out, f), 'utf8'));
    }
    expect(existsSync(join(overlay, 'certs', 'ca.key'))).toBe(false);
  }, 60_000);

  it('is listed in the help', async () => {
    let stdout = '';
    await runProgram(['--help'], {
      stdout: (s) => {
        stdout += s;
      },
      stderr: () => {},
    });
    const r = { stdout };
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/\bcerts \[options\] +Write a CA .* print the caBundle/);
  }, 60_000);
});
