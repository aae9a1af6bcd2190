/**
 * The worker-thread loader must give exactly what the sequential loader gives: objects,
 * order, locations, and the first bad file's error. Workers run the compiled module
 * (vitest runs .ts sources, which a worker thread cannot load).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedObject, loadManifests } from '../../src/cli/manifest-loader.js';
import { loadManifestsParallel } from '../../src/cli/parallel-load.js';
import { ManifestError } from '../../src/input/manifest-error.js';
import { containerCacheKey, createScriptAnalyzer } from '../../src/shell/index.js';
import { ensureBuilt, ROOT } from './run-cli.js';

const workerUrl = pathToFileURL(join(ROOT, 'dist', 'src', 'cli', 'check-worker.js'));
const parallel = { workers: 2, minBytes: 0, workerUrl };

const pod = (i: number, script: string) =>
  [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: {name: p${i}, namespace: ns}`,
    'spec:',
    '  hostNetwork: yes',
    '  initContainers:',
    '    - name: tune',
    '      command: [sh, -c]',
    `      args: [${JSON.stringify(script)}]`,
    '      env: [{name: RANGE, value: "1024 65535"}]',
    '  containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]',
  ].join('\n');

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'pg-parallel-'));
  mkdirSync(join(dir, 'good', 'sub'), { recursive: true });
  for (let f = 0; f < 7; f++) {
    const docs = Array.from({ length: 5 }, (_, i) =>
      pod(f * 10 + i, `sysctl -w net.ipv4.ip_local_port_range="$RANGE"\necho ${f}-${i}`),
    );
    docs.push(
      'kind: List\nitems:\n  - {kind: Service, metadata: {name: s}, spec: {type: NodePort}}\n  - {kind: ConfigMap}',
    );
    const where = f % 2 === 0 ? 'good' : join('good', 'sub');
    writeFileSync(join(dir, where, `f${f}.yaml`), `# file ${f}\n${docs.join('\n---\n')}\n`);
  }
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', 'a.yaml'), 'kind: Pod\n');
  writeFileSync(join(dir, 'bad', 'b.yaml'), 'kind: Pod\nmetadata: [1\n');
  writeFileSync(join(dir, 'bad', 'c.yaml'), 'kind: Pod\n');
  writeFileSync(join(dir, 'bad', 'd.yaml'), 'a: b: c\n');
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadManifestsParallel', () => {
  it('loads what the sequential loader loads, in the same order and with the same lines', async () => {
    const { objects: expected } = await loadManifests([join(dir, 'good')], { cwd: dir });
    const { objects } = await loadManifestsParallel([join(dir, 'good')], { ...parallel, cwd: dir });
    expect(objects.length).toBe(49);
    expect(objects).toEqual(expected);
    // YAML 1.1 survives the trip: `yes` is true, as Kubernetes reads it.
    expect(objects[0]?.object.spec).toMatchObject({ hostNetwork: true });
  });

  it.each([2, 4, 7])(
    'gives the same result with %i workers, some of which run out of files first',
    async (n) => {
      const { objects: expected } = await loadManifests(['good'], { cwd: dir });
      const { objects } = await loadManifestsParallel(['good'], { ...parallel, workers: n, cwd: dir });
      expect(objects).toEqual(expected);
    },
  );

  it.each([
    ['every bad file in listing order', [join('bad')], ['bad/b.yaml:3', 'bad/d.yaml:1'], 2],
    [
      'a bad file listed before a good tree, and a missing path',
      [join('bad', 'd.yaml'), 'good', 'nope'],
      ['nope: no such', 'bad/d.yaml:1'],
      49,
    ],
  ])('reports %s, as the sequential loader does', async (_n, paths, where, count) => {
    const seq = await loadManifests(paths, { cwd: dir });
    const par = await loadManifestsParallel(paths, { ...parallel, cwd: dir });
    expect(par.errors.every((e) => e instanceof ManifestError)).toBe(true);
    expect(par.errors).toEqual(seq.errors);
    expect(par.errors.map((e, i) => e.message.startsWith(where[i]!))).toEqual(where.map(() => true));
    expect(par.objects).toEqual(seq.objects);
    expect(par.objects.length).toBe(count);
  });

  it('hands back each distinct script analysis under the key the analyzer looks up', async () => {
    const { analyses } = await loadManifestsParallel(['good'], {
      ...parallel,
      cwd: dir,
      analyzeScripts: true,
    });
    const local = await createScriptAnalyzer();
    // 35 pods with distinct scripts, plus the app container without a command (one key;
    // each worker may send it once).
    expect(new Map(analyses).size).toBe(36);
    const key = containerCacheKey(
      ['sh', '-c'],
      ['sysctl -w net.ipv4.ip_local_port_range="$RANGE"\necho 0-0'],
      {
        RANGE: { value: '1024 65535' },
      },
    );
    const theirs = new Map(analyses).get(key);
    expect(theirs?.analysis.writes[0]?.value).toBe('1024 65535');
    expect(theirs).toEqual(
      local.countContainer(['sh', '-c'], ['sysctl -w net.ipv4.ip_local_port_range="$RANGE"\necho 0-0'], {
        RANGE: { value: '1024 65535' },
      }),
    );
  });

  it.each([
    ['one worker', { workers: 1 }],
    ['input under the size threshold', { minBytes: 1 << 30 }],
    [
      'a worker module that cannot load',
      { workerUrl: pathToFileURL(join(tmpdir(), 'portguard-no-such-worker.js')) },
    ],
  ])('loads on this thread with %s, with the same result', async (_n, override) => {
    const { objects: expected } = await loadManifests(['good'], { cwd: dir });
    const got = await loadManifestsParallel(['good'], {
      ...parallel,
      ...override,
      cwd: dir,
      analyzeScripts: true,
    });
    expect(got.objects).toEqual(expected);
    expect(got.analyses).toEqual([]);
  });

  it.each([
    ['on workers', {}],
    ['on this thread', { workers: 1 }],
    [
      'after workers that could not start',
      { workerUrl: pathToFileURL(join(tmpdir(), 'portguard-no-such-worker.js')) },
    ],
  ])('delivers the objects in order while loading %s, after announcing the start', async (_n, override) => {
    const events: string[] = [];
    const delivered: unknown[] = [];
    const got = await loadManifestsParallel(['good'], {
      ...parallel,
      ...override,
      cwd: dir,
      onStart: () => events.push('start'),
      onObjects: (objects) => {
        events.push('objects');
        delivered.push(...objects);
      },
    });
    expect(events[0]).toBe('start');
    expect(events.filter((e) => e === 'start')).toHaveLength(1);
    expect(delivered).toEqual(got.objects);
  });

  it('delivers the objects of the good files around bad ones', async () => {
    const delivered: LoadedObject[] = [];
    const result = await loadManifestsParallel(['bad'], {
      ...parallel,
      cwd: dir,
      onObjects: (objects) => delivered.push(...objects),
    });
    expect(result.errors).toHaveLength(2);
    expect(delivered.map((o) => o.file)).toEqual([join('bad', 'a.yaml'), join('bad', 'c.yaml')]);
  });

  it('fails the load when the listener throws', async () => {
    const loading = loadManifestsParallel(['good'], {
      ...parallel,
      cwd: dir,
      onObjects: () => {
        throw new Error('listener broke');
      },
    });
    await expect(loading).rejects.toThrow('listener broke');
  });

  it('reads stdin on this thread', async () => {
    const got = await loadManifestsParallel(['-', 'good'], {
      ...parallel,
      cwd: dir,
      readStdin: async () => Buffer.from('kind: Namespace\nmetadata: {name: x}\n'),
    });
    expect(got.objects[0]).toMatchObject({
      object: { kind: 'Namespace', metadata: { name: 'x' } },
      file: '<stdin>',
      line: 1,
    });
    expect(got.objects.length).toBe(50);
  });

  it('stops its workers and rejects with the reason when aborted', async () => {
    const stop = new AbortController();
    const loading = loadManifestsParallel(['good'], { ...parallel, cwd: dir, signal: stop.signal });
    stop.abort(new Error('ranges file is bad'));
    await expect(loading).rejects.toThrow('ranges file is bad');
  });
});
