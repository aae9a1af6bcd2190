/** The manifest loader on its own: locations, Lists, and every kind of bad input. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineCounter, parseAllDocuments } from 'yaml';
import { type LoadedObject, loadManifests, parseManifests } from '../../src/cli/manifest-loader.js';
import { ManifestError } from '../../src/input/manifest-error.js';
import { decodeText, readLimited } from '../../src/input/text-input.js';
import { MAX_ALIAS_COUNT, withPlainEnv } from '../../src/input/yaml-input.js';

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

  it('refuses an alias bomb by counting expansions (how fast is a bench figure)', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    expect(() =>
      parseManifests(`kind: ConfigMap\ndata:\n  ${lines.join('\n  ')}\n`, 'bomb.yaml'),
    ).toThrowError(/bomb\.yaml:1: cannot expand YAML aliases/);
  });
});

/** The loader as it was before it composed one document at a time: the reference model. */
function parseAllAtOnce(text: string, file: string): LoadedObject[] {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, version: '1.1', prettyErrors: false });
  const out: LoadedObject[] = [];
  for (const doc of Array.isArray(docs) ? docs : []) {
    const err = doc.errors[0];
    if (err) {
      const line = counter.linePos(err.pos[0]).line;
      throw new ManifestError(file, line || undefined, `invalid YAML: ${err.message.split('\n')[0]}`);
    }
    const contents = doc.contents as { range?: number[] } | null;
    const offset = contents?.range?.[0] ?? (doc as unknown as { range?: number[] }).range?.[0];
    const start = offset === undefined ? 1 : counter.linePos(offset).line || 1;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      throw new ManifestError(file, start, `cannot expand YAML aliases: ${(e as Error).message}`);
    }
    const v = value as Record<string, unknown> | null;
    // Lists are left out of this model: their item lines are covered above.
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.kind === 'string')
      out.push({ object: v, file, line: start });
  }
  return out;
}

const outcome = (parse: () => LoadedObject[]) => {
  try {
    return parse().map(({ object, file, line }) => ({ object, file, line }));
  } catch (e) {
    return (e as Error).message;
  }
};

describe('parseManifests against parsing all documents at once', () => {
  it.each([
    ['two documents', 'kind: A\n---\nkind: B\n'],
    ['document end markers', 'kind: A\n...\n---\nkind: B\n...\n'],
    ['a bad second document', 'kind: A\n---\nmetadata: [1\n---\nkind: C\n'],
    ['a bad last document', 'kind: A\n---\nkind: B\n---\na: b: c\n'],
    ['content after a document end', 'kind: A\n... # done\nkind: B\n'],
    ['garbage after a document end', 'kind: A\n...\n]]\n'],
    ['a directive', '%YAML 1.1\n---\nkind: A\n'],
    ['a directive without a document start', '%FOO bar\nkind: A\n'],
    ['a directive after a document', 'kind: A\n%YAML 1.1\n---\nkind: B\n'],
    ['empty documents', '---\n---\nkind: C\n---\n'],
    ['comments only', '# nothing here\n'],
    ['nothing', ''],
    ['a lone document end', '...\n'],
    ['tab indentation', 'kind: A\nspec:\n\tfoo: 1\n'],
    ['duplicate keys in the second document', 'kind: A\n---\nkind: B\nkind: C\n'],
    ['an unknown alias in the second document', 'kind: A\na: &x 1\nb: *x\n---\nkind: B\nc: *y\n'],
    ['a scalar document', 'just text\n---\nkind: B\n'],
    ['CRLF line ends', 'kind: A\r\n---\r\n# c\r\n\r\nkind: B\r\n'],
    ['YAML 1.1 scalars', 'kind: A\nspec: {hostNetwork: yes, port: 0o17, t: 2001-12-14}\n---\nkind: B\n'],
    ['a tagged document', '--- !!map\nkind: A\n--- !!str\nkind: B\n'],
  ])('gives the same objects, lines and error for %s', (_n, text) => {
    expect(outcome(() => parseManifests(text, 'f.yaml'))).toEqual(
      outcome(() => parseAllAtOnce(text, 'f.yaml')),
    );
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
    const { objects: objs, errors } = await loadManifests(['tree'], { cwd: dir });
    expect(errors).toEqual([]);
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
  ])('reports %s and goes on with the other paths', async (_n, path, re) => {
    const { objects, errors } = await loadManifests([path, 'tree/a.yml'], { cwd: dir });
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(re)]);
    expect(objects.map((o) => o.file)).toEqual(['tree/a.yml']);
  });

  it('reads every file of a tree with bad ones in it, and reports each bad one', async () => {
    mkdirSync(join(dir, 'mixed'));
    writeFileSync(join(dir, 'mixed/1-bad.yaml'), 'kind: Pod\nmetadata: [1\n');
    writeFileSync(join(dir, 'mixed/2-good.yaml'), 'kind: Pod\nmetadata: {name: g}\n');
    writeFileSync(join(dir, 'mixed/3-bad.yaml'), 'kind: Pod\nkind: Pod\n');
    const { objects, errors } = await loadManifests(['mixed'], { cwd: dir });
    expect(objects.map((o) => o.file)).toEqual(['mixed/2-good.yaml']);
    expect(errors.map((e) => [e.file, e.line, e.column])).toEqual([
      ['mixed/1-bad.yaml', 3, 1],
      ['mixed/3-bad.yaml', 2, 1],
    ]);
  });

  it('checks the size before reading', async () => {
    const { errors } = await loadManifests(['tree/a.yml'], { cwd: dir, maxFileBytes: 5 });
    expect(errors[0]).toBeInstanceOf(ManifestError);
    expect(errors[0]?.message).toMatch(/over the 5-byte limit/);
  });

  it('reads - from the injected stdin', async () => {
    const { objects: objs } = await loadManifests(['-'], {
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
