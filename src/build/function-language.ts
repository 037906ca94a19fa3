/**
 * Which language a function directory is written in, as `e2rx build` decides it: a Go main package, an
 * AssemblyScript `index.ts`, or what its `.runnable.yaml` says.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The file a directory must contain to be an AssemblyScript function. */
export const FUNCTION_ENTRY_FILE = 'index.ts';

/** The file of a Go module. */
export const GO_MODULE_FILE = 'go.mod';

/** What a function is written in, as `e2rx build` knows it. */
export type FunctionLanguage = 'assemblyscript' | 'go';

/**
 * The language of the function in `dir`, or `undefined` when it is not one `e2rx build` builds:
 *
 * - a `.runnable.yaml` whose `lang` is another language (`rust`, `tinygo`…): `undefined`; one that says `go` or
 *   `assemblyscript`: that language, when the directory holds its sources;
 * - `go` when the directory holds a Go main package (`.go` files, not tests, of `package main`) and its `go.mod`, or
 *   a Go main package and no `index.ts`;
 * - `assemblyscript` when it holds an `index.ts`.
 *
 * @example
 * ```ts
 * await functionLanguage('./my-app/hello'); // 'go', 'assemblyscript' or undefined
 * ```
 */
export async function functionLanguage(dir: string): Promise<FunctionLanguage | undefined> {
  const declared = await declaredLanguage(dir);
  if (declared === 'other') return undefined;
  const go = await hasGoMainPackage(dir);
  const assemblyScript = await isFile(join(dir, FUNCTION_ENTRY_FILE));
  if (declared === 'go') return go ? 'go' : undefined;
  if (declared === 'assemblyscript') return assemblyScript ? 'assemblyscript' : undefined;
  if (go && (existsSync(join(dir, GO_MODULE_FILE)) || !assemblyScript)) return 'go';
  return assemblyScript ? 'assemblyscript' : undefined;
}

/** Whether `dir` holds a `.go` file (not a test) of package main. */
async function hasGoMainPackage(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return false;
  }
  for (const name of names) {
    if (!name.endsWith('.go') || name.endsWith('_test.go')) continue;
    try {
      if (/^package\s+main\b/m.test(await readFile(join(dir, name), 'utf8'))) return true;
    } catch {
      // not readable: not a source
    }
  }
  return false;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** What the `lang` of the directory's `.runnable.yaml` says: a language e2rx builds, another one, or nothing. */
async function declaredLanguage(dir: string): Promise<FunctionLanguage | 'other' | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, '.runnable.yaml'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const lang = (parseYaml(text) as { lang?: unknown } | null)?.lang;
    if (lang === undefined) return undefined;
    return lang === 'assemblyscript' || lang === 'go' ? lang : 'other';
  } catch {
    return undefined;
  }
}
