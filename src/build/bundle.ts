/**
 * Writing an app's bundle, `runnables.wasm.zip` (docs/reference/directive.md#where-the-directive-lives): `Directive.yaml` and `<name>.wasm` at the root, and the
 * `static/` folder.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Zippable, zipSync } from 'fflate';
import { BUNDLE_FILE_NAME, DIRECTIVE_FILE_NAMES } from '../app/index.js';
import { E2rxError } from '../errors.js';

/** Options of {@link writeBundle}. */
export interface BundleOptions {
  /** Where to write the bundle; by default `<app>/runnables.wasm.zip`. */
  readonly output?: string;
}

/** What {@link writeBundle} wrote. */
export interface BundleReport {
  /** The bundle's path. */
  readonly path: string;
  /** The bundle's entries, sorted (`Directive.yaml`, `<name>.wasm`, `static/...`). */
  readonly entries: readonly string[];
  /** The bundle's size in bytes. */
  readonly bytes: number;
}

/** The modification time stored for every entry, so that the same files always give the same bundle. */
const ENTRY_MTIME = new Date('2000-01-01T00:00:00Z');

/**
 * Zips an app directory into a bundle that `e2rx start` (and Atmo) can run: its Directive (stored as
 * `Directive.yaml`), every module (`<name>.wasm` at the app root, or `<name>/<name>.wasm`, stored as `<name>.wasm`),
 * and every file under `static/`. Modules are stored as they are (build them first); the bundle is written through a
 * temporary file and is byte-for-byte the same for the same files.
 *
 * @throws {@link E2rxError} `E2RX_DIRECTIVE_NOT_FOUND` when the app has no Directive, `E2RX_MODULE_MISSING` when it
 * has no module at all.
 *
 * @example
 * ```ts
 * import { buildApp } from 'e2rx';
 * import { writeBundle } from './bundle.js'; // internal: users run `e2rx build --bundle`
 * await buildApp('./my-app');
 * const bundle = await writeBundle('./my-app');
 * console.log(bundle.path, bundle.entries);
 * ```
 */
export async function writeBundle(appDir: string, options: BundleOptions = {}): Promise<BundleReport> {
  const root = resolve(appDir);
  const directiveName = DIRECTIVE_FILE_NAMES.find((name) => existsSync(join(root, name)));
  if (directiveName === undefined) {
    throw new E2rxError('E2RX_DIRECTIVE_NOT_FOUND', `no Directive.yaml in ${appDir}`, {
      hint: 'a bundle needs the Directive; create one with `e2rx init <dir>`',
    });
  }
  const files: Zippable = { 'Directive.yaml': await readFile(join(root, directiveName)) };
  const dirents = await readdir(root, { withFileTypes: true });
  for (const entry of dirents) {
    if (entry.isFile() && entry.name.endsWith('.wasm')) files[entry.name] = await readFile(join(root, entry.name));
  }
  for (const entry of dirents) {
    const nested = join(root, entry.name, `${entry.name}.wasm`);
    if (entry.isDirectory() && files[`${entry.name}.wasm`] === undefined && existsSync(nested)) {
      files[`${entry.name}.wasm`] = await readFile(nested);
    }
  }
  if (!Object.keys(files).some((name) => name.endsWith('.wasm'))) {
    throw new E2rxError('E2RX_MODULE_MISSING', `no .wasm module in ${appDir}`, {
      hint: 'build the functions first (`e2rx build`)',
    });
  }
  for (const path of await listFiles(join(root, 'static'))) {
    files[`static/${path}`] = await readFile(join(root, 'static', path));
  }
  const names = Object.keys(files).sort();
  const sorted: Zippable = {};
  for (const name of names) {
    const content = files[name];
    if (content !== undefined) sorted[name] = content;
  }
  const zip = zipSync(sorted, { level: 6, mtime: ENTRY_MTIME });
  const path = resolve(root, options.output ?? BUNDLE_FILE_NAME);
  await writeFile(`${path}.tmp`, zip);
  await rename(`${path}.tmp`, path);
  return { path, entries: names, bytes: zip.byteLength };
}

/** Every file under `dir`, as `/`-separated paths relative to it (none when it does not exist). */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await listFiles(dir, path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}
