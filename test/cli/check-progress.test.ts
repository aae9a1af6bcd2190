/** The progress line of a long `check` (a fake clock and terminal) and the events runCheck sends it. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { type CheckProgress, createProgressLine, fileCounter } from '../../src/cli/check-progress.js';
import type { LoadedObject } from '../../src/cli/manifest-loader.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../../src/shell/index.js';
import { mkTmp } from './run-cli.js';

function terminal(isTTY: boolean) {
  let t = 0;
  const written: string[] = [];
  const line = createProgressLine({
    write: (s) => written.push(s),
    isTTY,
    now: () => t,
    minFiles: 10,
    delayMs: 1000,
  });
  return {
    line,
    written,
    at: (ms: number) => {
      t = ms;
    },
  };
}

describe('progress line', () => {
  it('never writes anything but notes when stderr is not a terminal', () => {
    const { line, written, at } = terminal(false);
    at(5000);
    line.update({ phase: 'check', done: 1, total: 800 });
    line.note('portguard check: a note\n');
    line.clear();
    expect(written).toEqual(['portguard check: a note\n']);
  });

  it('waits for many files or one second, redraws in place, throttled, and clears', () => {
    const { line, written, at } = terminal(true);
    line.update({ phase: 'read', files: 5 });
    line.update({ phase: 'check', done: 1, total: 8 });
    expect(written).toEqual([]); // few files, not a second yet
    at(1000);
    line.update({ phase: 'check', done: 2, total: 8 });
    at(1050);
    line.update({ phase: 'check', done: 3, total: 8 }); // within 100 ms of the last redraw
    at(1100);
    line.update({ phase: 'check', done: 4, total: 8 });
    line.clear();
    line.clear();
    expect(written).toEqual(['\rchecked 2/8 files\u001b[K', '\rchecked 4/8 files\u001b[K', '\r\u001b[K']);
  });

  it('shows at once past the file threshold, and gets out of the way of a note', () => {
    const { line, written } = terminal(true);
    line.update({ phase: 'read', files: 11 });
    line.update({ phase: 'check', done: 0, total: 11 }); // a new phase redraws at once
    line.note('portguard check: x is defined twice\n');
    expect(written).toEqual([
      '\rread 11 files\u001b[K',
      '\rchecked 0/11 files\u001b[K',
      '\r\u001b[K',
      'portguard check: x is defined twice\n',
    ]);
  });
});

describe('fileCounter', () => {
  it('counts a file once all of its objects went by', () => {
    const counts: number[] = [];
    const c = fileCounter((n) => counts.push(n));
    const o = (file: string) => ({ file }) as LoadedObject;
    c.add([o('a'), o('a'), o('b')]);
    c.add([o('b'), o('c')]);
    c.flush();
    expect(counts).toEqual([1, 2, 3]);
  });
});

describe('runCheck progress events', () => {
  let dir: string;
  let scripts: ScriptAnalyzer;
  beforeAll(async () => {
    scripts = await createScriptAnalyzer();
    dir = mkTmp('portguard-progress-');
    mkdirSync(join(dir, 'm'));
    for (let i = 0; i < 3; i++) {
      writeFileSync(
        join(dir, 'm', `svc-${i}.yaml`),
        `apiVersion: v1\nkind: Service\nmetadata: {name: s${i}}\nspec: {type: NodePort, ports: [{port: 80, nodePort: ${30100 + i}}]}\n`,
      );
    }
    writeFileSync(join(dir, 'm', 'values.yaml'), 'replicas: 3\n'); // no objects: not counted
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports files read, then each file checked out of those with objects', async () => {
    const events: CheckProgress[] = [];
    await runCheck(
      { paths: ['m'], output: 'json' },
      { stdout: () => {}, stderr: () => {}, cwd: dir, scripts, progress: (p) => events.push(p) },
    );
    const checked = events.filter((e) => e.phase === 'check');
    expect(checked).toEqual([1, 2, 3].map((done) => ({ phase: 'check', done, total: 3 })));
    // Every read event comes before the first check event.
    const phases = events.map((e) => e.phase).join(' ');
    expect(phases).toMatch(/^(read )*check check check$/);
  });
});
