/**
 * Static files from an app directory's `static/` folder and from a bundle's `static/` entries.
 *
 * @module
 */
import { readFile, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { StaticFiles } from './static-files.js';

/**
 * Normalises a requested name as the original (docs/reference/directive.md#where-the-directive-lives): strips a leading `static/`, then `/`, then `./`.
 * Returns `undefined` when the name would leave `static/` (`..` segments, absolute paths, NUL bytes, backslashes).
 */
export function normalizeStaticName(name: string): string | undefined {
  let relative = name;
  if (relative.startsWith('static/')) relative = relative.slice('static/'.length);
  relative = relative.replace(/^\/+/, '');
  if (relative.startsWith('./')) relative = relative.slice(2);
  if (relative === '' || relative.includes('\0') || relative.includes('\\')) return undefined;
  const segments = relative.split('/');
  if (segments.some((segment) => segment === '..' || segment === '')) return undefined;
  return segments.filter((segment) => segment !== '.').join('/');
}

/** The static files of an app directory: `<root>/static/<name>`, confined to that folder. */
export function staticFilesFromDirectory(root: string): StaticFiles {
  const base = resolve(root, 'static');
  return {
    async read(name) {
      const relative = normalizeStaticName(name);
      if (relative === undefined) return undefined;
      const path = resolve(join(base, relative));
      if (!path.startsWith(base + sep)) return undefined;
      try {
        const [realBase, realPath] = await Promise.all([realpath(base), realpath(path)]);
        if (!realPath.startsWith(realBase + sep)) return undefined;
        return new Uint8Array(await readFile(realPath));
      } catch {
        return undefined;
      }
    },
  };
}

/** The static files of a bundle: its `static/…` entries. */
export function staticFilesFromEntries(entries: ReadonlyMap<string, Uint8Array>): StaticFiles {
  return {
    read(name) {
      const relative = normalizeStaticName(name);
      return Promise.resolve(relative === undefined ? undefined : entries.get(`static/${relative}`));
    },
  };
}
