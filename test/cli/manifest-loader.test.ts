/** The manifest loader on its own: locations, Lists, and every kind of bad input. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeText,
  loadManifests,
  ManifestError,
  parseManifests,
  readLimited,
  withPlainEnv,
} from '../../src/cli/manifest-loader.js';

describe('parseManifests', () => {
  it('keeps the 1-based start line of every document', () => {
    const text = [
      '# leading comment',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: a}',
      '---',
      '---',
      '',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: b}',
      '...',
    ].join('\n');
    expect(parseManifests(text, 'f.yaml').map((o) => [o.object.kind, o.line])).toEqual([
      ['Service', 2],
      ['Pod', 8],
    ]);
  });

  it('expands kind: List (and FooList) items with the line of each item', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - apiVersion: v1',
      '    kind: Service',
      '    metadata: {name: a}',
      '  - apiVersion: v1',
      '    kind: ServiceList',
      '    items:',
      '      - {apiVersion: v1, kind: Service, metadata: {name: b}}',
    ].join('\n');
    expect(parseManifests(text, 'l.yaml').map((o) => [o.object.metadata, o.line])).toEqual([
      [{ name: 'a' }, 4],
      [{ name: 'b' }, 10],
    ]);
  });

  it('reads JSON', () => {
    const objs = parseManifests(
      '{\n "apiVersion": "v1",\n "kind": "Service", "metadata": {"name": "j"}\n}\n',
      'x.json',
    );
    expect(objs).toHaveLength(1);
    expect(objs[0]!.line).toBe(1);
  });

  it.each([
    ['scalar document', 'just a string\n'],
    ['map without kind', 'replicaCount: 3\n'],
    ['empty', ''],
    ['null document', '---\n~\n'],
  ])('ignores a %s', (_n, text) => {
    expect(parseManifests(text, 'v.yaml')).toEqual([]);
  });

  it('reads YAML 1.1 booleans the way Kubernetes does', () => {
    const [o] = parseManifests('kind: Pod\nspec: {hostNetwork: yes}\n', 'p.yaml');
    expect((o!.object.spec as { hostNetwork: unknown }).hostNetwork).toBe(true);
  });

  it.each([
    ['unclosed flow map', 'kind: Pod\nmetadata: {name: a\nspec: {}\n', 3],
    ['bad indentation', 'kind: Pod\nspec:\n  a: 1\n b: 2\n', 4],
    ['duplicate key', 'kind: Pod\nkind: Service\n', 2],
  ])('names file and line for %s', (_n, text, line) => {
    expect(() => parseManifests(text, 'bad.yaml')).toThrowError(
      new RegExp(`^bad\\.yaml:${line}: invalid YAML`),
    );
  });

  it('refuses an alias bomb quickly', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const start = Date.now();
    expect(() =>
      parseManifests(`kind: ConfigMap\ndata:\n  ${lines.join('\n  ')}\n`, 'bomb.yaml'),
    ).toThrowError(/bomb\.yaml:1: cannot expand YAML aliases/);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe('withPlainEnv', () => {
  it.each<[string, () => string]>([
    ['returns', () => 'parsed'],
    [
      'throws',
      () => {
        throw new Error('bad YAML');
      },
    ],
  ])('puts the real process.env back when the parse %s', (_, parse) => {
    const env = process.env;
    let inside: NodeJS.ProcessEnv | undefined;
    try {
      withPlainEnv(() => {
        inside = process.env;
        return parse();
      });
    } catch {}
    expect(process.env).toBe(env);
    expect(inside).not.toBe(env);
    expect(inside).toEqual({ ...env });
  });

  it('shows the parse the variables set before it', () => {
    process.env.PORTGUARD_TEST_MARK = 'x';
    try {
      expect(withPlainEnv(() => process.env.PORTGUARD_TEST_MARK)).toBe('x');
    } finally {
      delete process.env.PORTGUARD_TEST_MARK;
    }
  });
});

describe('decodeText', () => {
  it.each([
    ['a NUL byte', Buffer.from('kind: Pod\n\0\0'), /bin\.dat:2: binary file/],
    [
      'invalid UTF-8',
      Buffer.from([0x6b, 0x69, 0xff, 0xfe, 0x0a]),
      /bin\.dat: binary file \(not valid UTF-8\)/,
    ],
    ['more than the limit', Buffer.alloc(65, 0x61), /over the 64-byte limit/],
  ])('refuses %s', (_n, buf, re) => {
    expect(() => decodeText(buf, 'bin.dat', 64)).toThrowError(re);
  });

  it('drops a UTF-8 byte order mark', () => {
    expect(decodeText(Buffer.from('\uFEFFkind: Pod'), 'f')).toBe('kind: Pod');
  });
});

describe('loadManifests on a directory tree', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pg-loader-'));
    mkdirSync(join(dir, 'tree/sub'), { recursive: true });
    mkdirSync(join(dir, 'tree/.git'));
    writeFileSync(join(dir, 'tree/b.yaml'), 'kind: Service\nmetadata: {name: b}\n');
    writeFileSync(join(dir, 'tree/a.yml'), 'kind: Service\nmetadata: {name: a}\n');
    writeFileSync(join(dir, 'tree/sub/c.json'), '{"kind": "Pod", "metadata": {"name": "c"}}');
    writeFileSync(join(dir, 'tree/sub/notes.txt'), 'not yaml: [');
    writeFileSync(join(dir, 'tree/.git/x.yaml'), 'kind: Pod\nmetadata: {name: hidden}\n');
    symlinkSync(join(dir, 'tree/b.yaml'), join(dir, 'tree/sub/link-to-b.yaml'));
    mkdirSync(join(dir, 'loop/inner'), { recursive: true });
    symlinkSync(join(dir, 'loop'), join(dir, 'loop/inner/back'));
    mkdirSync(join(dir, 'selfloop'));
    symlinkSync(join(dir, 'selfloop/me.yaml'), join(dir, 'selfloop/me.yaml'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('walks recursively in sorted order, skips dot dirs and other extensions, loads a file once', async () => {
    const objs = await loadManifests(['tree'], { cwd: dir });
    expect(objs.map((o) => `${o.file}:${(o.object.metadata as { name: string }).name}`)).toEqual([
      'tree/a.yml:a',
      'tree/b.yaml:b',
      'tree/sub/c.json:c',
    ]);
  });

  it.each([
    ['a directory symlink loop', 'loop', /loop\/inner\/back: symlink loop/],
    ['a symlink pointing at itself', 'selfloop', /selfloop\/me\.yaml: symlink loop/],
    ['a missing path', 'nope.yaml', /nope\.yaml: no such file or directory/],
  ])('fails on %s', async (_n, path, re) => {
    await expect(loadManifests([path], { cwd: dir })).rejects.toThrowError(re);
  });

  it('checks the size before reading', async () => {
    await expect(loadManifests(['tree/a.yml'], { cwd: dir, maxFileBytes: 5 })).rejects.toBeInstanceOf(
      ManifestError,
    );
  });

  it('reads - from the injected stdin', async () => {
    const objs = await loadManifests(['-'], {
      readStdin: async () => Buffer.from('kind: Pod\nmetadata: {name: s}\n'),
    });
    expect(objs.map((o) => [o.file, o.line])).toEqual([['<stdin>', 1]]);
  });
});

describe('readLimited', () => {
  it('stops past the limit', async () => {
    async function* chunks() {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(10);
    }
    await expect(readLimited(chunks(), 55)).rejects.toThrowError(/<stdin>: input is over the 55-byte limit/);
  });
});
