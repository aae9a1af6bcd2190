/**
 * `portguard serve` logs asynchronously (createServeLogger): lines buffered when the
 * process ends must still reach stdout, whether it ends by SIGTERM, process.exit, a
 * crash or an empty event loop. Real processes with stdout on a pipe, as in a pod.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, repoRoot } from '../hardening/build.js';
import { tempCertificates } from '../hardening/helpers.js';
import { DIST } from '../support/dist-paths.js';

interface Run {
  code: number | null;
  lines: string[];
}

/**
 * Runs `node args` with stdout on a pipe; `onLine` sees each stdout line as it arrives. With
 * `holdUntil`, stdout is not read until stderr matches it: the pipe fills, so the logger has a
 * write waiting to be retried when the process starts to exit (the case that lost order).
 */
function run(
  args: string[],
  onLine: (line: string) => void = () => {},
  holdUntil?: RegExp,
): Promise<Run> & { kill(): void } {
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  if (holdUntil) {
    child.stdout.pause();
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
      if (holdUntil.test(err)) child.stdout.resume();
    });
  }
  const lines: string[] = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += String(d);
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      onLine(line);
    }
  });
  if (!holdUntil) child.stderr.resume();
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, lines })));
  return Object.assign(done, { kill: () => child.kill('SIGTERM') });
}

let main: string;
beforeAll(() => {
  main = buildCli();
}, 180_000);

describe('createServeLogger flushes what it buffered', () => {
  const LINES = 20_000;
  const script = (ending: string) => {
    const mod = pathToFileURL(path.join(DIST, 'src/cli/serve-command.js')).href;
    return [
      '--input-type=module',
      '-e',
      `import { createServeLogger } from ${JSON.stringify(mod)};
       const logger = createServeLogger();
       for (let i = 0; i < ${LINES}; i++) logger.info({ i, pad: 'x'.repeat(100) }, 'line');
       ${ending}`,
    ];
  };

  it.each([
    ['the event loop runs dry', '', 0, undefined],
    ['process.exit', 'process.exit(3);', 3, undefined],
    ['an uncaught exception', "throw new Error('boom');", 1, /boom/],
    ['an exception in a later tick', "setTimeout(() => { throw new Error('boom'); }, 0);", 1, /boom/],
  ] as const)(
    'every line, in order, when %s',
    async (_name, ending, code, crash) => {
      const result = await run(script(ending), undefined, crash);
      expect(result.code).toBe(code);
      // A crash adds one fatal line after everything that was logged before it.
      const lines = crash ? result.lines.slice(0, -1) : result.lines;
      expect(lines).toHaveLength(LINES);
      // One assertion over all lines: an expect() per line cost more than the child's run.
      expect(lines.map((line) => JSON.parse(line))).toMatchObject(
        Array.from({ length: LINES }, (_, i) => ({ i, msg: 'line', app: 'portguard' })),
      );
      if (crash) expect(JSON.parse(result.lines.at(-1)!)).toMatchObject({ level: 60, error: 'Error' });
    },
    60_000,
  );
});

describe('portguard serve on SIGTERM', () => {
  let certs: Awaited<ReturnType<typeof tempCertificates>>;
  beforeAll(async () => {
    certs = await tempCertificates();
  });
  afterAll(async () => {
    await rm(certs.dir, { recursive: true, force: true });
  });

  it('writes every decision logged before the signal, then the shutdown lines, and exits 0', async () => {
    const sample = JSON.parse(readFileSync(path.join(repoRoot, 'examples/sample-review.json'), 'utf8'));
    let ready: (port: number) => void;
    const serving = new Promise<number>((resolve) => {
      ready = resolve;
    });
    const served = run(
      [
        main,
        'serve',
        '--ranges',
        path.join(repoRoot, 'examples/node-ranges.yaml'),
        ...['--port', '0', '--health-port', '0', '--host', '127.0.0.1'],
        ...['--tls-cert', certs.cert, '--tls-key', certs.key],
        ...['--drain-period', '100ms'],
      ],
      (line) => {
        if (line.includes('portguard serving')) ready(JSON.parse(line).port);
      },
    );
    const port = await serving;
    const agent = new Agent({ connect: { ca: [certs.bundle.caCert] }, connections: 8 });
    const uids = Array.from(
      { length: 400 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const answers = await Promise.all(
      uids.map(async (uid) => {
        const res = await request(`https://127.0.0.1:${port}/validate?timeout=10s`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...sample, request: { ...sample.request, uid } }),
          dispatcher: agent,
        });
        return ((await res.body.json()) as { response: { allowed: boolean } }).response.allowed;
      }),
    );
    await agent.close();
    // Denials are logged at info, so each review left one line in the buffer.
    expect(answers.every((a) => a === false)).toBe(true);
    served.kill();
    const { code, lines } = await served;
    expect(code).toBe(0);
    const records = lines.map((l) => JSON.parse(l) as { msg: string; uid?: string });
    const decided = records.filter((r) => r.msg === 'admission decision').map((r) => r.uid);
    expect(new Set(decided)).toEqual(new Set(uids));
    expect(decided).toHaveLength(uids.length);
    expect(records.map((r) => r.msg).slice(-4)).toEqual([
      'shutting down: draining, then finishing in-flight reviews',
      'draining: not ready, closing each connection after its answer',
      'drain period over: refusing new connections, finishing in-flight reviews',
      'portguard stopped',
    ]);
  }, 60_000);
});
