/**
 * Modules older than their sources: the trap of an edit that was saved but not built, where the server runs the old
 * code while the editor shows the new.
 *
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { findFunctions } from './build-app.js';

/** A function whose module is older than one of its sources, or was never built. */
export interface StaleModule {
  /** The function's name. */
  readonly name: string;
  /** Its module, relative to the app (`hello.wasm`). */
  readonly module: string;
  /** The newest source, relative to the app (`hello/index.ts`); `undefined` when the module does not exist. */
  readonly newer: string | undefined;
}

/** Directories under a function that hold no sources of it. */
const SKIPPED = new Set(['node_modules', 'build', 'dist', 'target']);

/**
 * The functions of an app directory (see `findFunctions`) whose module is missing or older than a file of their
 * directory: what `e2rx build` would rebuild because a source was edited (it compares hashes; this compares times,
 * so a file touched without a change counts too). Empty for an app with no function sources.
 *
 * @example
 * ```ts
 * for (const stale of await staleModules('my-app')) console.warn(`${stale.newer} is newer than ${stale.module}`);
 * ```
 */
export async function staleModules(appDir: string): Promise<StaleModule[]> {
  const functions = await findFunctions(appDir).catch(() => []);
  const stale: StaleModule[] = [];
  for (const fn of functions) {
    const module = relative(appDir, fn.output).split(sep).join('/');
    const built = await modifiedAt(fn.output);
    const newest = await newestFile(fn.dir);
    if (built === undefined) stale.push({ name: fn.name, module, newer: undefined });
    else if (newest !== undefined && newest.mtimeMs > built) stale.push({ name: fn.name, module, newer: relative(appDir, newest.path).split(sep).join('/') });
  }
  return stale;
}

async function newestFile(dir: string): Promise<{ readonly path: string; readonly mtimeMs: number } | undefined> {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const found = entry.isDirectory() ? (SKIPPED.has(entry.name) ? undefined : await newestFile(path)) : entry.isFile() ? { path, mtimeMs: (await modifiedAt(path)) ?? 0 } : undefined;
    if (found !== undefined && (newest === undefined || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}

async function modifiedAt(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}
