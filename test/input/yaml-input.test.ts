/**
 * The library's YAML reader on its own; the manifest loader built on it (Lists, files,
 * stdin) is in test/cli/manifest-loader.test.ts and the go-yaml cases in test/cli/yaml-compat.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/input/manifest-error.js';
import { forEachYamlDocument, MAX_ALIAS_COUNT, type YamlDocument } from '../../src/input/yaml-input.js';

function read(text: string): YamlDocument[] {
  const docs: YamlDocument[] = [];
  forEachYamlDocument(text, 'f.yaml', (d) => docs.push(d));
  return docs;
}

function thrown(text: string): ManifestError {
  try {
    read(text);
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('read did not throw');
}

describe('forEachYamlDocument', () => {
  it('hands over every document in order with its value, start line and text, read as YAML 1.1', () => {
    const docs = read('a: 1\n---\n# note\nb: yes\n');
    expect(docs.map((d) => d.value)).toEqual([{ a: 1 }, { b: true }]);
    expect(docs.map((d) => d.line)).toEqual([1, 4]);
    // A document's text starts at its `---` marker, the line it is kept from.
    expect(docs[1]!.source).toEqual({ text: '---\n# note\nb: yes\n', line: 2, column: 0 });
  });

  it('reads a quoted scalar continued below its key as go-yaml does, keeping the file lines', () => {
    const [doc] = read("metadata:\n  annotations:\n    x: '[\n  1\n]'\nkind: Pod\n");
    expect(doc!.value).toEqual({ metadata: { annotations: { x: '[ 1 ]' } }, kind: 'Pod' });
    expect(doc!.at(doc!.source.text.indexOf('kind')).line).toBe(6);
  });

  it('refuses an alias bomb at the line of its document', () => {
    const anchors = ['a0: &a0 [x, x]'];
    for (let i = 1; i <= 12; i++) anchors.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    const err = thrown(`ok: 1\n---\n${anchors.join('\n')}\n`);
    expect(MAX_ALIAS_COUNT).toBe(100);
    expect(err.file).toBe('f.yaml');
    expect(err.line).toBe(3);
    expect(err.detail).toMatch(/^cannot expand YAML aliases: /);
  });

  it('names the line and column of invalid YAML', () => {
    const err = thrown('a: 1\nb: [\n');
    expect(err.detail).toMatch(/^invalid YAML: /);
    expect(err.line).toBeGreaterThanOrEqual(2);
    expect(err.column).toBeGreaterThan(0);
  });
});
