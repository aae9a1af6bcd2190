/** Paged lists: continue tokens, the one restart on 410, and the list's resourceVersion. */
import { describe, expect, it } from 'vitest';
import { ApiException } from '../../src/kube/k8s.js';
import { ListError, listAll, listAllWithVersion, type Page } from '../../src/kube/paged-list.js';

const gone = () => new ApiException(410, 'Expired', {}, {});

/** A fake list endpoint: each snapshot is a list of pages; `fail` decides per call. */
function endpoint(
  snapshots: Page[][],
  fail: (call: number, cont: string | undefined) => unknown = () => undefined,
) {
  let call = 0;
  let snapshot = 0;
  const calls: (string | undefined)[] = [];
  const page = async (cont: string | undefined): Promise<Page> => {
    calls.push(cont);
    const err = fail(call++, cont);
    if (err) {
      snapshot++;
      throw err;
    }
    const pages = snapshots[Math.min(snapshot, snapshots.length - 1)]!;
    return pages[cont === undefined ? 0 : Number(cont)]!;
  };
  return { page, calls };
}

const pagesOf = (rv: string, ...names: string[][]): Page[] =>
  names.map((items, i) => ({
    items: items.map((name) => ({ metadata: { name } })),
    metadata: { resourceVersion: rv, ...(i < names.length - 1 ? { _continue: String(i + 1) } : {}) },
  }));

const names = (items: { metadata: { name: string } }[]) => items.map((i) => i.metadata.name);

describe('listAllWithVersion', () => {
  it('follows continue tokens and returns the items with the snapshot resourceVersion', async () => {
    const { page, calls } = endpoint([pagesOf('100', ['a', 'b'], ['c'], ['d'])]);
    const progress: [string, number][] = [];
    const list = await listAllWithVersion('things', page, undefined, (what, n) => progress.push([what, n]));
    expect(names(list.items)).toEqual(['a', 'b', 'c', 'd']);
    expect(list.resourceVersion).toBe('100');
    expect(calls).toEqual([undefined, '1', '2']);
    expect(progress).toEqual([
      ['things', 2],
      ['things', 3],
      ['things', 4],
    ]);
  });

  it('drops what select drops, and the version is still the list’s', async () => {
    const { page } = endpoint([pagesOf('7', ['keep-1', 'drop'], ['keep-2'])]);
    const list = await listAllWithVersion('things', page, (i) =>
      i.metadata.name === 'drop' ? undefined : i,
    );
    expect(names(list.items)).toEqual(['keep-1', 'keep-2']);
    expect(list.resourceVersion).toBe('7');
  });

  it('starts over once when a continue token expires, with the new snapshot’s version', async () => {
    const { page, calls } = endpoint(
      [pagesOf('100', ['a'], ['b']), pagesOf('205', ['a'], ['b', 'c'])],
      (call) => (call === 1 ? gone() : undefined),
    );
    const list = await listAllWithVersion('things', page);
    expect(names(list.items)).toEqual(['a', 'b', 'c']);
    expect(list.resourceVersion).toBe('205');
    expect(calls).toEqual([undefined, '1', undefined, '1']);
  });

  it('gives up on a second 410, and names what it read on any error', async () => {
    const twice = endpoint([pagesOf('1', ['a'], ['b'])], (call) =>
      call === 1 || call === 3 ? gone() : undefined,
    );
    const err = await listAllWithVersion('things', twice.page).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListError);
    expect(err).toMatchObject({ what: 'things', status: 410, message: 'cannot read things: HTTP 410' });

    const forbidden = endpoint([pagesOf('1', ['a'])], () => new ApiException(403, 'Forbidden', {}, {}));
    await expect(listAllWithVersion('secrets', forbidden.page)).rejects.toMatchObject({ status: 403 });
    expect(forbidden.calls).toHaveLength(1);
  });

  it('has no version when the apiserver sent none', async () => {
    const { page } = endpoint([[{ items: [{ metadata: { name: 'a' } }] }]]);
    expect(await listAllWithVersion('things', page)).toEqual({
      items: [{ metadata: { name: 'a' } }],
      resourceVersion: undefined,
    });
  });
});

describe('listAll', () => {
  it('is the items of listAllWithVersion', async () => {
    const { page } = endpoint([pagesOf('3', ['a'], ['b'])]);
    expect(names(await listAll('things', page, (i) => i))).toEqual(['a', 'b']);
  });
});
