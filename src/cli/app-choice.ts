/**
 * Which app `e2rx start` and `e2rx validate` run, decided before anything is loaded or listens, and whether the
 * bundle beside an app is older than the app itself.
 *
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { BUNDLE_FILE_NAME, DIRECTIVE_FILE_NAMES } from '../app/load-app.js';
import { E2rxError } from '../errors.js';

/** The app to hand to the engine or the loader, and a line to show the user about the choice, if any. */
export interface AppChoice {
  /** The app path (as given, or the default chosen); `undefined` leaves the default to the loader. */
  readonly app: string | undefined;
  /** Something the user should know about the choice (a stale bundle), for a warning. */
  readonly notice?: string;
}

/** A bundle older than a file of the app directory it sits in. */
export interface StaleBundle {
  /** The bundle, relative to the app directory (`runnables.wasm.zip`). */
  readonly bundle: string;
  /** The newest file of the app, relative to the app directory (`hello.wasm`, `Directive.yaml`, `static/a.txt`). */
  readonly newer: string;
}

/** The hint of a missing app: the loader's own. */
const MISSING_APP_HINT = 'pass an app directory holding a Directive.yaml, or a runnables.wasm.zip bundle';

/**
 * Chooses the app before anything starts.
 *
 * - A path given on the command line must exist: otherwise `E2RX_APP_NOT_FOUND` at once (`start` used to listen,
 *   log `serving on`, and only then say so).
 * - Without a path, the default is `./runnables.wasm.zip` when it exists, else the current directory, as Atmo. But
 *   when the current directory is an app too (it has a Directive) and one of its files is newer than the bundle
 *   (`e2rx build` after an edit, without `--bundle`), the directory wins and `notice` says why: an old bundle must
 *   never silently serve old code while the app's test runs the new one.
 *
 * @throws {@link E2rxError} `E2RX_APP_NOT_FOUND` when `app` names nothing.
 *
 * @example
 * ```ts
 * const choice = await chooseApp(process.cwd(), undefined);
 * if (choice.notice) console.warn(choice.notice);
 * ```
 */
export async function chooseApp(cwd: string, app: string | undefined): Promise<AppChoice> {
  if (app !== undefined) {
    const target = resolve(cwd, app);
    if (!(await exists(target))) throw new E2rxError('E2RX_APP_NOT_FOUND', `${shown(cwd, target)} does not exist`, { hint: MISSING_APP_HINT });
    return { app };
  }
  const stale = await staleBundle(cwd);
  if (stale === undefined) return { app: undefined };
  return {
    app: '.',
    notice: `${stale.bundle} is older than ${stale.newer}: serving the app directory (the newer), not the bundle; run e2rx build --bundle to update the bundle, or delete it`,
  };
}

/**
 * The bundle of the app directory `dir` (`runnables.wasm.zip`) when it is older than one of the files it is made
 * from: the Directive, a module (`<name>.wasm`, `<name>/<name>.wasm`) or a static file. `undefined` when there is
 * no bundle, no Directive beside it, or the bundle is up to date.
 */
export async function staleBundle(dir: string): Promise<StaleBundle | undefined> {
  const bundle = await modifiedAt(join(dir, BUNDLE_FILE_NAME));
  if (bundle === undefined) return undefined;
  const newest = await newestAppFile(dir);
  if (newest === undefined || newest.mtimeMs <= bundle) return undefined;
  return { bundle: BUNDLE_FILE_NAME, newer: newest.file };
}

/** The most recently modified file that a bundle of `dir` would hold; `undefined` when `dir` has no Directive. */
async function newestAppFile(dir: string): Promise<{ readonly file: string; readonly mtimeMs: number } | undefined> {
  const candidates: string[] = [];
  let directive = false;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile() && (DIRECTIVE_FILE_NAMES as readonly string[]).includes(entry.name)) {
      directive = true;
      candidates.push(entry.name);
    } else if (entry.isFile() && entry.name.endsWith('.wasm')) candidates.push(entry.name);
    else if (entry.isDirectory() && entry.name === 'static') candidates.push(...(await filesUnder(dir, 'static')));
    else if (entry.isDirectory()) candidates.push(`${entry.name}/${entry.name}.wasm`);
  }
  if (!directive) return undefined;
  let newest: { file: string; mtimeMs: number } | undefined;
  for (const file of candidates) {
    const mtimeMs = await modifiedAt(join(dir, file));
    if (mtimeMs !== undefined && (newest === undefined || mtimeMs > newest.mtimeMs)) newest = { file, mtimeMs };
  }
  return newest;
}

async function filesUnder(root: string, prefix: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const path = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await filesUnder(root, path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

async function modifiedAt(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

/** A path as the loader shows it: relative to `cwd` when inside it. */
function shown(cwd: string, path: string): string {
  const text = relative(cwd, path);
  return text === '' ? '.' : text.startsWith('..') ? path : text;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
