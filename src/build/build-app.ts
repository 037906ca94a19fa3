/**
 * Building every function of an app, AssemblyScript and Go, skipping those whose sources did not change.
 *
 * App layout:
 *
 * ```
 * my-app/
 *   Directive.yaml
 *   hello/               one directory per function, named after it
 *     index.ts           AssemblyScript: exports run(input: ArrayBuffer); may import other files
 *   greet/               or Go: a main package that calls e2rx.Handle in an init function
 *     go.mod             its module (or one go.mod at the app's root for every Go function)
 *     main.go
 *   hello.wasm           written by the build: <app>/<name>.wasm, which `e2rx start` loads
 *   .e2rx-build.json     the build manifest (hashes of what each module was built from)
 *   static/              static files (not a function)
 * ```
 *
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { E2rxError } from '../errors.js';
import { ASC_FLAGS, type CompileAssemblyScriptOutcome, compileAssemblyScript, definesRunE, generatedEntry } from './assemblyscript.js';
import type { BuildDiagnostic } from './diagnostics.js';
import { type CompileGoOutcome, GO_BUILD_ENV, GO_BUILD_FLAGS, GO_BUILD_VARIABLES, compileGo } from './go.js';
import { FUNCTION_ENTRY_FILE, type FunctionLanguage, GO_MODULE_FILE, functionLanguage } from './function-language.js';
import { type GoToolchain, findGoToolchain } from './go-toolchain.js';
import {
  type BuildManifest,
  type ManifestEntry,
  hashInputs,
  readBuildManifest,
  sha256,
  writeBuildManifest,
} from './manifest.js';
import { type SdkLocation, resolveSdk } from './sdk.js';

export { FUNCTION_ENTRY_FILE, GO_MODULE_FILE, type FunctionLanguage } from './function-language.js';

/** Directories of an app that are never functions. */
const NOT_FUNCTIONS = new Set(['node_modules', 'static', 'dist', 'tests', 'test', 'specs', 'vendor', 'testdata']);

/** One function found in an app. */
export interface FunctionSource {
  /** Its name: the directory's name, and the runnable name in the Directive. */
  readonly name: string;
  /** Its language. */
  readonly lang: FunctionLanguage;
  /** Its directory. */
  readonly dir: string;
  /**
   * Its entry: `<dir>/index.ts` for AssemblyScript; for Go, the `go.mod` of its module: `<dir>/go.mod`, else
   * `<app>/go.mod` (which may not exist: the build then says so).
   */
  readonly entry: string;
  /** The module the build writes (`<app>/<name>.wasm`). */
  readonly output: string;
}

/**
 * The functions of an app, each a directory directly inside it (except `node_modules`, `static`, `dist`, `test(s)`,
 * `specs`, `vendor`, `testdata` and hidden ones), sorted by name:
 *
 * - a Go function: the directory holds a Go main package (`.go` files, not tests, with `package main`); its module is
 *   the directory's `go.mod`, or else the app's;
 * - an AssemblyScript function: the directory holds an `index.ts` (and no `go.mod` with a main package).
 *
 * A `.runnable.yaml` in the directory whose `lang` is neither `assemblyscript` nor `go` (a Rust function, say)
 * leaves it out; one that says `go` or `assemblyscript` picks that language.
 *
 * @example
 * ```ts
 * import { findFunctions } from './build-app.js'; // internal
 * for (const fn of await findFunctions('./my-app')) console.log(fn.name, fn.lang, '->', fn.output);
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
    const lang = await functionLanguage(dir);
    if (lang === undefined) continue;
    const output = join(root, `${entry.name}.wasm`);
    if (lang === 'go') {
      const own = join(dir, GO_MODULE_FILE);
      found.push({ name: entry.name, lang, dir, entry: existsSync(own) ? own : join(root, GO_MODULE_FILE), output });
    } else {
      found.push({ name: entry.name, lang, dir, entry: join(dir, FUNCTION_ENTRY_FILE), output });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
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
  /** The AssemblyScript SDK's directory; by default it is resolved from the app (see {@link resolveSdk}). */
  readonly sdkDir?: string;
  /**
   * The environment of the Go toolchain (default `process.env`): its `PATH` finds `go`, unless `E2RX_GO` names
   * the command; `GOFLAGS`, `GOCACHE`, `GOPROXY`… apply as usual.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
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
 * What an AssemblyScript build depends on besides the source files: the flags, the compiler and SDK versions, where
 * the SDK is, and the generated entry.
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

/**
 * What a Go build depends on besides its inputs: the flags, the build environment, the Go version, and the
 * caller's variables that change the build (GOFLAGS, GOEXPERIMENT, …).
 */
function goSalt(go: GoToolchain): string {
  return JSON.stringify({
    format: 1,
    lang: 'go',
    flags: GO_BUILD_FLAGS,
    env: GO_BUILD_ENV,
    go: go.version,
    variables: Object.fromEntries(GO_BUILD_VARIABLES.map((name) => [name, go.env[name] ?? ''])),
  });
}

const toPosix = (path: string): string => path.split(sep).join('/');

/** The outcome of either compiler (the module is written to the function's output when it succeeded). */
type CompileOutcome = CompileAssemblyScriptOutcome | CompileGoOutcome;

/** An input as the manifest records it: relative to the app, with `/`, a directory keeping its trailing `/`. */
function manifestPath(root: string, path: string): string {
  const rel = toPosix(relative(root, path));
  if (!path.endsWith(sep)) return rel;
  return rel === '' ? './' : `${rel}/`;
}

/**
 * Builds the functions of an app (see {@link findFunctions}) to `<app>/<name>.wasm`, one at a time: AssemblyScript
 * with the bundled compiler, Go with the installed Go toolchain (see {@link compileGo}). A function is skipped when
 * the hash of everything it was built from (its sources and the SDK's, the compiler flags and versions) equals the
 * one in `.e2rx-build.json` and its module was not touched since. Compile errors do not throw: they are in the
 * report, with file, line and column.
 *
 * @throws {@link E2rxError} `E2RX_APP_NOT_FOUND` when `appDir` does not exist, `E2RX_BUILD_FAILED` when `only` names
 * a function that does not exist or the AssemblyScript SDK cannot be found, `E2RX_TOOLCHAIN_MISSING` when a Go
 * function is to be built and Go (1.24 or later) is not installed: then nothing is built.
 *
 * @example
 * ```ts
 * import { buildApp } from 'e2rx';
 * import { formatDiagnostic } from './diagnostics.js'; // internal
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
        hint: `a function is a directory of the app holding an ${FUNCTION_ENTRY_FILE} or a Go main package`,
      });
    }
    functions = functions.filter((fn) => options.only?.includes(fn.name));
  }
  const sdk = functions.some((fn) => fn.lang === 'assemblyscript') ? resolveSdk(root, options.sdkDir) : undefined;
  const goFunctions = functions.filter((fn) => fn.lang === 'go').map((fn) => fn.name);
  const go =
    goFunctions.length === 0
      ? undefined
      : await findGoToolchain({
          cwd: root,
          ...(options.env === undefined ? {} : { env: options.env }),
          why: `${goFunctions.join(', ')} ${goFunctions.length === 1 ? 'is a Go function' : 'are Go functions'}`,
        });
  const manifest = await readBuildManifest(root);
  const entries: Record<string, ManifestEntry> = { ...manifest.functions };
  if (options.only === undefined) {
    for (const name of Object.keys(entries)) if (!functions.some((fn) => fn.name === name)) delete entries[name];
  }
  const emit = options.onProgress ?? (() => undefined);
  const results: FunctionBuildResult[] = [];

  /** How to build a function: what its hash depends on besides its inputs, and the compiler call. */
  const plan = async (fn: FunctionSource): Promise<{ salt: string; compile: () => Promise<CompileOutcome> }> => {
    if (fn.lang === 'go' && go !== undefined) {
      return { salt: goSalt(go), compile: () => compileGo({ moduleDir: dirname(fn.entry), dir: fn.dir, output: fn.output, baseDir: root, go }) };
    }
    if (fn.lang === 'assemblyscript' && sdk !== undefined) {
      const salt = buildSalt(root, sdk, definesRunE(await readFile(fn.entry, 'utf8')));
      return {
        salt,
        compile: async () => {
          const outcome = await compileAssemblyScript({ source: fn.entry, baseDir: root, sdk });
          if (outcome.ok) {
            await writeFile(`${fn.output}.tmp`, outcome.binary);
            await rename(`${fn.output}.tmp`, fn.output);
            // Beside the module, where `e2rx start` looks for it: traps and aborts then name the user's line.
            if (outcome.sourceMap !== undefined) await writeFile(`${fn.output}.map`, outcome.sourceMap);
          }
          return outcome;
        },
      };
    }
    throw new E2rxError('E2RX_INTERNAL', `no compiler for the ${fn.lang} function ${fn.name}`);
  };

  for (const fn of functions) {
    emit({ type: 'start', name: fn.name });
    const { salt, compile } = await plan(fn);
    const output = toPosix(relative(root, fn.output));
    const previous = entries[fn.name];
    if (options.force !== true && previous !== undefined && (await isUnchanged(root, salt, previous, output))) {
      emit({ type: 'unchanged', name: fn.name, output: fn.output });
      results.push({ name: fn.name, status: 'unchanged', output: fn.output, diagnostics: [] });
      continue;
    }
    const started = performance.now();
    const outcome = await compile();
    if (!outcome.ok) {
      delete entries[fn.name];
      emit({ type: 'failed', name: fn.name, diagnostics: outcome.diagnostics });
      results.push({ name: fn.name, status: 'failed', output: fn.output, diagnostics: outcome.diagnostics });
      continue;
    }
    const inputs = outcome.inputs.map((path) => manifestPath(root, path));
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
