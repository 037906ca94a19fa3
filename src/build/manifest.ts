/**
 * The build manifest `.e2rx-build.json`: what each function's module was built from, so unchanged functions are
 * skipped.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The manifest's file name, in the app directory next to the built modules. */
export const BUILD_MANIFEST_FILE = '.e2rx-build.json';

/** What one function's module was built from. */
export interface ManifestEntry {
  /** SHA-256 of the compiler flags, compiler and SDK versions, and every input's path and content. */
  readonly hash: string;
  /**
   * The files the compiler read, relative to the app directory (with `/`). An entry ending with `/` is a directory:
   * the names of the files in it (but Go tests) are part of the hash (a Go package is every file of its directory).
   */
  readonly inputs: readonly string[];
  /** The module file, relative to the app directory. */
  readonly output: string;
  /** SHA-256 of the module file, to notice when it was changed or replaced. */
  readonly outputHash: string;
}

/** The content of `.e2rx-build.json`. */
export interface BuildManifest {
  /** The manifest format. */
  readonly version: 1;
  /** One entry per function name. */
  readonly functions: Readonly<Record<string, ManifestEntry>>;
}

/** An empty manifest. */
export const EMPTY_MANIFEST: BuildManifest = { version: 1, functions: {} };

/**
 * Reads the manifest of an app; an empty one when it is missing or unreadable (everything is then rebuilt).
 *
 * @example
 * ```ts
 * import { readBuildManifest } from './manifest.js'; // internal
 * const manifest = await readBuildManifest('./my-app');
 * console.log(Object.keys(manifest.functions));
 * ```
 */
export async function readBuildManifest(appDir: string): Promise<BuildManifest> {
  try {
    const parsed = JSON.parse(await readFile(join(appDir, BUILD_MANIFEST_FILE), 'utf8')) as Partial<BuildManifest>;
    if (parsed.version !== 1 || typeof parsed.functions !== 'object' || parsed.functions === null) return EMPTY_MANIFEST;
    return { version: 1, functions: parsed.functions };
  } catch {
    return EMPTY_MANIFEST;
  }
}

/** Writes the manifest of an app (through a temporary file, so a crash never leaves half a manifest). */
export async function writeBuildManifest(appDir: string, manifest: BuildManifest): Promise<void> {
  const path = join(appDir, BUILD_MANIFEST_FILE);
  const sorted: Record<string, ManifestEntry> = {};
  for (const name of Object.keys(manifest.functions).sort()) {
    const entry = manifest.functions[name];
    if (entry !== undefined) sorted[name] = entry;
  }
  await writeFile(`${path}.tmp`, `${JSON.stringify({ version: 1, functions: sorted }, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** SHA-256 of bytes, in hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The hash of a build: `salt` (flags, versions, the generated entry) and each input's path and content, in path order;
 * for a directory (an input ending with `/`), the sorted names of the files in it. Resolves to `undefined` when an
 * input cannot be read (then the function must be rebuilt).
 */
export async function hashInputs(appDir: string, salt: string, inputs: readonly string[]): Promise<string | undefined> {
  const hash = createHash('sha256').update(salt).update('\0');
  for (const input of [...inputs].sort()) {
    let content: string;
    try {
      content = input.endsWith('/') ? await listing(join(appDir, input)) : sha256(await readFile(join(appDir, input)));
    } catch {
      return undefined;
    }
    hash.update(input).update('\0').update(content).update('\0');
  }
  return hash.digest('hex');
}

/** The names of the files directly in `dir`, sorted, one per line; Go tests (`_test.go`) are left out. */
async function listing(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.endsWith('_test.go'))
    .map((entry) => entry.name)
    .sort()
    .join('\n');
}
