/**
 * The files `check` reads: PATH arguments expanded into a stable list. Directories are
 * walked recursively in sorted order, dot entries skipped, only `.yaml`, `.yml` and `.json`
 * files taken (a file named explicitly is taken whatever its name), symlinks followed but
 * a link back to a directory being walked is an error, and a file reached twice through
 * links is read once. `-` stands for stdin.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { ManifestError } from '../input/manifest-error.js';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** A file system error in a few words, for messages. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'symlink loop (too many levels of symbolic links)';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e.message ?? String(err);
  }
}

interface Walk {
  files: string[];
  /** Paths that could not be listed; the walk goes on past them. */
  errors: ManifestError[];
  /** Real paths of files already queued, so a file reached twice through links loads once. */
  seenFiles: Set<string>;
  cwd: string;
}

/** How a path is shown in messages and reports: relative to `cwd` when below it. */
export function display(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : path;
}

/**
 * Walks a directory depth-first in sorted order. `ancestors` holds the real paths of
 * the directories on the current path: a link back to one of them is a loop, an error;
 * a link to a directory elsewhere is followed, and files reached twice load once. An
 * entry that cannot be read is an error, and the walk goes on with the next.
 */
async function walkDir(dir: string, ancestors: Set<string>, walk: Walk): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    walk.errors.push(
      new ManifestError(display(dir, walk.cwd), undefined, `cannot read directory: ${describeFsError(err)}`),
    );
    return;
  }
  for (const name of entries) {
    // Dot entries (.git, .github, editor state) never hold manifests and can be huge.
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    let info: Awaited<ReturnType<typeof stat>>;
    let realPath: string;
    try {
      info = await stat(path);
      realPath = await realpath(path);
    } catch (err) {
      walk.errors.push(new ManifestError(display(path, walk.cwd), undefined, describeFsError(err)));
      continue;
    }
    if (info.isDirectory()) {
      if (ancestors.has(realPath)) {
        walk.errors.push(
          new ManifestError(
            display(path, walk.cwd),
            undefined,
            `symlink loop: points back to ${display(realPath, walk.cwd)}, which contains it`,
          ),
        );
        continue;
      }
      ancestors.add(realPath);
      await walkDir(path, ancestors, walk);
      ancestors.delete(realPath);
    } else if (info.isFile() && hasManifestExtension(name) && !walk.seenFiles.has(realPath)) {
      walk.seenFiles.add(realPath);
      walk.files.push(path);
    }
  }
}

/** Files to read, in a stable order, and the paths that could not be listed. */
export interface Listing {
  files: string[];
  errors: ManifestError[];
}

/** Expands the PATH arguments into the list of files to read, in a stable order. */
export async function listManifestFiles(paths: string[], cwd = process.cwd()): Promise<Listing> {
  const walk: Walk = { files: [], errors: [], seenFiles: new Set(), cwd };
  for (const p of paths) {
    if (p === '-') {
      walk.files.push('-');
      continue;
    }
    const abs = resolve(cwd, p);
    let info: Awaited<ReturnType<typeof stat>>;
    let real: string;
    try {
      info = await stat(abs);
      real = await realpath(abs);
    } catch (err) {
      walk.errors.push(new ManifestError(p, undefined, describeFsError(err)));
      continue;
    }
    if (info.isDirectory()) {
      await walkDir(abs, new Set([real]), walk);
    } else if (!walk.seenFiles.has(real)) {
      // A file named explicitly is read whatever its extension.
      walk.seenFiles.add(real);
      walk.files.push(abs);
    }
  }
  return { files: walk.files, errors: walk.errors };
}
