/**
 * Building every AssemblyScript function of an app, skipping those whose sources did not change.
 *
 * App layout:
 *
 * ```
 * my-app/
 *   Directive.yaml
 *   hello/               one directory per function, named after it
 *     index.ts           exports run(input: ArrayBuffer); may import other files
 *   hello.wasm           written by the build: <app>/<name>.wasm, which `e2rx start` loads
 *   .e2rx-build.json     the build manifest (hashes of what each module was built from)
 *   static/              static files (not a function)
 * ```
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { E2rxError } from '../errors.js';
import { ASC_FLAGS, compileAssemblyScript, definesRunE, generatedEntry } from './assemblyscript.js';
import type { BuildDiagnostic } from './diagnostics.js';
import {
  type BuildManifest,
  type ManifestEntry,
  hashInputs,
  readBuildManifest,
  sha256,
  writeBuildManifest,
} from './manifest.js';
import { type SdkLocation, resolveSdk } from './sdk.js';

/** The file a function directory must contain to be built. */
export const FUNCTION_ENTRY_FILE = 'index.ts';

/** Directories of an app that are never functions. */
const NOT_FUNCTIONS = new Set(['node_modules', 'static', 'dist', 'tests', 'test', 'specs']);

/** One function found in an app. */
export interface FunctionSource {
  /** Its name: the directory's name, and the runnable name in the Directive. */
  readonly name: string;
  /** Its directory. */
  readonly dir: string;
  /** Its entry file (`<dir>/index.ts`). */
  readonly entry: string;
  /** The module the build writes (`<app>/<name>.wasm`). */
  readonly output: string;
}

/**
 * The AssemblyScript functions of an app: each directory directly inside it that holds an `index.ts`, except
 * `node_modules`, `static`, `dist`, `test(s)`, `specs`, hidden directories, and directories whose `.runnable.yaml`
 * names another language. Sorted by name.
 *
 * @example
 * ```ts
 * import { findFunctions } from 'e2rx';
 * for (const fn of await findFunctions('./my-app')) console.log(fn.name, '->', fn.output);
 * ```
 */
export async function findFunctions(appDir: string): Promise<FunctionSource[]> {
  const root = resolve(appDir);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (cause) {
    throw new E2rxError('E2RX_APP_NOT_FOUND', `no such app directory: ${appDir}`, { cause });
  }
  const found: FunctionSource[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || NOT_FUNCTIONS.has(entry.name)) continue;
    const dir = join(root, entry.name);
    const source = join(dir, FUNCTION_ENTRY_FILE);
    if (!(await isFile(source)) || !(await isAssemblyScript(dir))) continue;
    found.push({ name: entry.name, dir, entry: source, output: join(root, `${entry.name}.wasm`) });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function isAssemblyScript(dir: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(join(dir, '.runnable.yaml'), 'utf8');
  } catch {
    return true;
  }
  try {
    const lang = (parseYaml(text) as { lang?: unknown } | null)?.lang;
    return lang === undefined || lang === 'assemblyscript';
  } catch {
    return true;
  }
}

/** Progress of {@link buildApp}, one event per step of each function. */
export type BuildEvent =
  | { readonly type: 'start'; readonly name: string }
  | {
      readonly type: 'built';
      readonly name: string;
      readonly output: string;
      readonly bytes: number;
      readonly durationMs: number;
      readonly diagnostics: readonly BuildDiagnostic[];
    }
  | { readonly type: 'unchanged'; readonly name: string; readonly output: string }
  | { readonly type: 'failed'; readonly name: string; readonly diagnostics: readonly BuildDiagnostic[] };

/** How one function's build ended. */
export interface FunctionBuildResult {
  /** The function's name. */
  readonly name: string;
  /** `built`, `unchanged` (skipped: nothing it is built from changed) or `failed`. */
  readonly status: 'built' | 'unchanged' | 'failed';
  /** The module file (absolute). */
  readonly output: string;
  /** Errors (when failed) and warnings. */
  readonly diagnostics: readonly BuildDiagnostic[];
}

/** The outcome of {@link buildApp}. */
export interface BuildReport {
  /** Whether every function was built or was unchanged. */
  readonly ok: boolean;
  /** One result per function, by name. */
  readonly functions: readonly FunctionBuildResult[];
}

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Rebuild every function, even unchanged ones. */
  readonly force?: boolean;
  /** Build only these functions (by name). */
  readonly only?: readonly string[];
  /** The SDK's directory; by default it is resolved from the app (see {@link resolveSdk}). */
  readonly sdkDir?: string;
  /** Called on each step, for progress output. */
  readonly onProgress?: (event: BuildEvent) => void;
}

const ASC_VERSION = readAscVersion();

function readAscVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve('assemblyscript/package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/**
 * What a build depends on besides the source files: the flags, the compiler and SDK versions, where the SDK is, and
 * the generated entry.
 */
function buildSalt(appDir: string, sdk: SdkLocation, manual: boolean): string {
  return JSON.stringify({
    format: 1,
    flags: ASC_FLAGS,
    assemblyscript: ASC_VERSION,
    sdk: sdk.version,
    sdkDir: toPosix(relative(appDir, sdk.dir)),
    entry: manual ? 'run_e' : generatedEntry('index'),
  });
}

const toPosix = (path: string): string => path.split(sep).join('/');

/**
 * Builds the AssemblyScript functions of an app (see {@link findFunctions}) to `<app>/<name>.wasm`, one at a time.
 * A function is skipped when the hash of everything it was built from (its sources and the SDK's, the compiler flags
 * and versions) equals the one in `.e2rx-build.json` and its module was not touched since. Compile errors do not
 * throw: they are in the report, with file, line and column.
 *
 * @throws {@link E2rxError} `E2RX_APP_NOT_FOUND` when `appDir` does not exist, `E2RX_BUILD_FAILED` when `only` names
 * a function that does not exist or the SDK cannot be found.
 *
 * @example
 * ```ts
 * import { buildApp, formatDiagnostic } from 'e2rx';
 * const report = await buildApp('./my-app', { onProgress: (e) => console.log(e.type, e.name) });
 * for (const fn of report.functions) for (const d of fn.diagnostics) console.error(formatDiagnostic(d));
 * ```
 */
export async function buildApp(appDir: string, options: BuildAppOptions = {}): Promise<BuildReport> {
  const root = resolve(appDir);
  let functions = await findFunctions(root);
  if (options.only !== undefined) {
    const unknown = options.only.filter((name) => !functions.some((fn) => fn.name === name));
    if (unknown.length > 0) {
      throw new E2rxError('E2RX_BUILD_FAILED', `no function named ${unknown.join(', ')} in ${appDir}`, {
        hint: `a function is a directory of the app holding an ${FUNCTION_ENTRY_FILE}`,
      });
    }
    functions = functions.filter((fn) => options.only?.includes(fn.name));
  }
  const sdk = resolveSdk(root, options.sdkDir);
  const manifest = await readBuildManifest(root);
  const entries: Record<string, ManifestEntry> = { ...manifest.functions };
  if (options.only === undefined) {
    for (const name of Object.keys(entries)) if (!functions.some((fn) => fn.name === name)) delete entries[name];
  }
  const emit = options.onProgress ?? (() => undefined);
  const results: FunctionBuildResult[] = [];

  for (const fn of functions) {
    emit({ type: 'start', name: fn.name });
    const manual = definesRunE(await readFile(fn.entry, 'utf8'));
    const salt = buildSalt(root, sdk, manual);
    const output = toPosix(relative(root, fn.output));
    const previous = entries[fn.name];
    if (options.force !== true && previous !== undefined && (await isUnchanged(root, salt, previous, output))) {
      emit({ type: 'unchanged', name: fn.name, output: fn.output });
      results.push({ name: fn.name, status: 'unchanged', output: fn.output, diagnostics: [] });
      continue;
    }
    const started = performance.now();
    const outcome = await compileAssemblyScript({ source: fn.entry, baseDir: root, sdk });
    if (!outcome.ok) {
      delete entries[fn.name];
      emit({ type: 'failed', name: fn.name, diagnostics: outcome.diagnostics });
      results.push({ name: fn.name, status: 'failed', output: fn.output, diagnostics: outcome.diagnostics });
      continue;
    }
    await writeFile(`${fn.output}.tmp`, outcome.binary);
    await rename(`${fn.output}.tmp`, fn.output);
    const inputs = outcome.inputs.map((path) => toPosix(relative(root, path)));
    const hash = (await hashInputs(root, salt, inputs)) ?? '';
    entries[fn.name] = { hash, inputs, output, outputHash: sha256(outcome.binary) };
    const durationMs = Math.round(performance.now() - started);
    emit({
      type: 'built',
      name: fn.name,
      output: fn.output,
      bytes: outcome.binary.byteLength,
      durationMs,
      diagnostics: outcome.diagnostics,
    });
    results.push({ name: fn.name, status: 'built', output: fn.output, diagnostics: outcome.diagnostics });
  }

  const next: BuildManifest = { version: 1, functions: entries };
  if (functions.length > 0 || Object.keys(manifest.functions).length > 0) await writeBuildManifest(root, next);
  return { ok: results.every((r) => r.status !== 'failed'), functions: results };
}

async function isUnchanged(root: string, salt: string, previous: ManifestEntry, output: string): Promise<boolean> {
  if (previous.output !== output) return false;
  let built: Buffer;
  try {
    built = await readFile(join(root, output));
  } catch {
    return false;
  }
  if (sha256(built) !== previous.outputHash) return false;
  return (await hashInputs(root, salt, previous.inputs)) === previous.hash;
}
