/**
 * Static files from an app directory's `static/` folder and from a bundle's `static/` entries.
 *
 * @module
 */
import { readFile, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { StaticFiles } from './static-files.js';

/**
 * Normalises a requested name as the original (docs/reference/capabilities.md#file-get_static_file): strips a leading `static/`, then one
 * `/`, then one `./`; what is left names the file exactly, as Atmo looked it up among the bundle's entries. So a name
 * that still holds an empty, `.` or `..` segment (`././a.txt`, `css/./site.css`, `//a.txt`) names no file:
 * `undefined`, as for a name with a NUL byte or a backslash.
 */
export function normalizeStaticName(name: string): string | undefined {
  let relative = name;
  if (relative.startsWith('static/')) relative = relative.slice('static/'.length);
  if (relative.startsWith('/')) relative = relative.slice(1);
  if (relative.startsWith('./')) relative = relative.slice(2);
  if (relative === '' || relative.includes('\0') || relative.includes('\\')) return undefined;
  if (relative.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  return relative;
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
