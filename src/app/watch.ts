/**
 * Watching an app's files for a hot reload: the Directive, the modules (or the bundle) and the static files, with
 * the events of one save (editors write a file in several steps, a build writes several modules) debounced into one
 * change.
 *
 * @module
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { E2rxError, errorMessage } from '../errors.js';
import { BUNDLE_FILE_NAME, DIRECTIVE_FILE_NAMES } from './load-app.js';

/** How long a watcher waits after the last event of a change before it reports it. */
export const DEFAULT_WATCH_DEBOUNCE_MS = 150;

/** Options of {@link watchFiles}. */
export interface WatchFilesOptions {
  /** Which files count, by their path relative to the watched directory with `/` (default: every file). */
  readonly filter?: (path: string) => boolean;
  /** How long to wait after the last event before reporting (default {@link DEFAULT_WATCH_DEBOUNCE_MS}). */
  readonly debounceMs?: number;
  /** Called once per change with the paths that changed (relative, `/`-separated, sorted). */
  readonly onChange: (paths: readonly string[]) => void;
  /** Called when the watch fails (the directory was removed…); it then stops. */
  readonly onError?: (error: E2rxError) => void;
  /** Whether to watch the directories under it too (default true). */
  readonly recursive?: boolean;
}

/** A running watch. */
export interface FileWatch {
  /** Stops watching (a change being debounced is dropped). */
  close(): void;
}

/**
 * Watches a directory and everything under it, but `node_modules` and hidden directories (an app made by `e2rx
 * init` holds its dependencies: watching them would cost an inotify watch per directory), and reports each change
 * once its events have settled for `debounceMs`. A directory created later at the top is watched from then on.
 *
 * @throws {@link E2rxError} `E2RX_APP_READ` when the directory cannot be watched.
 *
 * @example
 * ```ts
 * const watch = watchFiles('my-app', { filter: (path) => path.endsWith('.yaml'), onChange: (paths) => console.log(paths) });
 * // later
 * watch.close();
 * ```
 */
export function watchFiles(dir: string, options: WatchFilesOptions): FileWatch {
  const debounceMs = options.debounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
  const filter = options.filter ?? (() => true);
  const pending = new Set<string>();
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const flush = (): void => {
    timer = undefined;
    const paths = [...pending].sort();
    pending.clear();
    if (paths.length > 0) options.onChange(paths);
  };
  const close = (): void => {
    closed = true;
    clearTimeout(timer);
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
  const changed = (path: string): void => {
    if (!filter(path)) return;
    pending.add(path);
    clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };
  /** Watches `name` (a top-level directory, or '' for the directory itself, not recursively). */
  const add = (name: string): void => {
    if (closed || watchers.has(name) || (name !== '' && (skipped(name) || options.recursive === false))) return;
    const target = name === '' ? dir : join(dir, name);
    const watcher = watch(target, { recursive: name !== '', persistent: false }, (_event, file) => {
      if (file === null) return;
      const path = name === '' ? file : `${name}/${file.split(sep).join('/')}`;
      if (name === '') addIfDirectory(file);
      changed(path);
    });
    watcher.on('error', (error) => {
      watcher.close();
      watchers.delete(name);
      // A top-level directory removed ends its watch; the directory itself gone ends the whole watch.
      if (name !== '' || closed) return;
      close();
      options.onError?.(new E2rxError('E2RX_APP_READ', `stopped watching ${dir}: ${errorMessage(error)}`, { cause: error }));
    });
    watchers.set(name, watcher);
  };
  const addIfDirectory = (name: string): void => {
    if (watchers.has(name) || skipped(name)) return;
    try {
      if (statSync(join(dir, name)).isDirectory()) add(name);
    } catch {
      // gone again, or a file
    }
  };
  try {
    add('');
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) add(entry.name);
  } catch (error) {
    close();
    throw new E2rxError('E2RX_APP_READ', `cannot watch ${dir}: ${errorMessage(error)}`, { cause: error });
  }
  return { close };
}

/** Top-level directories no watch descends into. */
function skipped(name: string): boolean {
  return name === 'node_modules' || name.startsWith('.');
}

/**
 * Whether a path of an app directory (relative, `/`-separated) is one the app is loaded from: its Directive, a
 * module (`<name>.wasm` or `<name>/<name>.wasm`) or its source map, a bundle, or a static file.
 *
 * @example
 * ```ts
 * isAppFile('Directive.yaml'); // true
 * isAppFile('hello/hello.wasm'); // true
 * isAppFile('hello/index.ts'); // false: a source, which `e2rx dev` builds
 * ```
 */
export function isAppFile(path: string): boolean {
  const parts = path.split('/');
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 1) return (DIRECTIVE_FILE_NAMES as readonly string[]).includes(name) || name.endsWith('.wasm') || name.endsWith('.wasm.map') || name === BUNDLE_FILE_NAME;
  if (parts[0] === 'static') return true;
  return parts.length === 2 && (name === `${parts[0] ?? ''}.wasm` || name === `${parts[0] ?? ''}.wasm.map`);
}

/**
 * Watches what an app is loaded from: for an app directory, {@link isAppFile}s under it; for a bundle, the bundle.
 * `app` is the path given to the loader (a directory, a Directive file, or a bundle).
 *
 * @throws {@link E2rxError} `E2RX_APP_NOT_FOUND` when `app` does not exist, `E2RX_APP_READ` when it cannot be watched.
 *
 * @example
 * ```ts
 * const watch = await watchApp('examples/hello', { onChange: (paths) => void engine.reload() });
 * ```
 */
export async function watchApp(app: string, options: WatchFilesOptions): Promise<FileWatch> {
  const target = resolve(app);
  let info;
  try {
    info = await stat(target);
  } catch (error) {
    throw new E2rxError('E2RX_APP_NOT_FOUND', `${app} does not exist`, { cause: error });
  }
  const extra = options.filter ?? (() => true);
  if (info.isDirectory()) return watchFiles(target, { ...options, filter: (path) => isAppFile(path) && extra(path) });
  // A bundle, or a Directive named by path: the directory it is in, filtered to it (or to the app's files).
  const dir = dirname(target);
  const own = relative(dir, target).split(sep).join('/');
  const isBundle = basename(target).endsWith('.zip');
  return watchFiles(dir, { ...options, recursive: !isBundle, filter: (path) => (isBundle ? path === own : isAppFile(path)) && extra(path) });
}
