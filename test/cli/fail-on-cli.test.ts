/**
 * `check` as a CI gate through the real binary: `--fail-on warn` fails on a warning that the
 * default lets pass, `-o` is `--output`, and the progress line shows on a terminal's stderr
 * only, never in a pipe and never on stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, mkTmp, runCli } from './run-cli.js';

const tmp = mkTmp('portguard-fail-on-');
// More files than the progress line's threshold (200), so a terminal shows it at once.
const FILES = 250;

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(join(tmp, 'm'));
  for (let i = 0; i < FILES; i++) {
    const svc = `apiVersion: v1\nkind: Service\nmetadata: {name: s${i}, namespace: shop}\nspec: {type: ClusterIP, ports: [{port: 80}]}\n`;
    writeFileSync(join(tmp, 'm', `svc-${String(i).padStart(3, '0')}.yaml`), svc);
  }
  // The one finding: a warning (a hostNetwork port inside the kernel's default ephemeral range).
  writeFileSync(
    join(tmp, 'm', 'exporter.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata: {name: exporter, namespace: ops}\n' +
      'spec: {hostNetwork: true, containers: [{name: e, image: e:1, ports: [{containerPort: 40000}]}]}\n',
  );
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `script` (util-linux, essential on Debian) gives the child a terminal. */
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe('check --fail-on and -o', () => {
  it('a warning passes by default and fails with --fail-on warn; no progress in a pipe', async () => {
    const [byDefault, strict] = await Promise.all([
      runCli(['check', 'm', '-o', 'json'], { cwd: tmp }),
      runCli(['check', 'm', '-o', 'json', '--fail-on', 'warn'], { cwd: tmp }),
    ]);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(JSON.parse(byDefault.stdout).summary).toMatchObject({ warn: 1, deny: 0, denied: false });
    expect(strict.code, strict.stderr).toBe(1);
    // `denied` is the run's verdict, as the exit code.
    expect(JSON.parse(strict.stdout).summary).toMatchObject({ warn: 1, deny: 0, denied: true });
    for (const r of [byDefault, strict]) {
      expect(r.stderr).not.toContain('\r');
      expect(r.stderr).not.toMatch(/checked \d+\/|read \d+ files/);
    }
  }, 60_000);

  it('shows progress on a terminal stderr, redrawn in place and cleared, never on stdout', () => {
    // Fails rather than skips: a test that silently does not run proves nothing.
    expect(hasScript, 'the `script` command (util-linux) is needed to give the child a terminal').toBe(true);
    const out = join(tmp, 'report.json');
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} check m -o json > report.json`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: tmp,
      encoding: 'utf8',
      timeout: 60_000,
      // A terminal that can erase a line (TERM=dumb turns the progress line off).
      env: { ...process.env, TERM: 'xterm' },
    });
    expect(r.status, r.stdout).toBe(0);
    // The terminal saw the line drawn with \r and erased at the end.
    expect(r.stdout).toMatch(new RegExp(`\\r(read \\d+|checked \\d+/${FILES + 1}) files\\u001b\\[K`));
    const lastDraw = r.stdout.lastIndexOf(' files\u001b[K');
    expect(lastDraw).toBeGreaterThan(0);
    expect(r.stdout.lastIndexOf('\r\u001b[K')).toBeGreaterThan(lastDraw);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.summary.objects).toBe(FILES + 1);
  }, 60_000);
});
