/**
 * Compiling one AssemblyScript function to a Runnable Wasm module with the programmatic `asc` API.
 *
 * The function's source exports `run(input: ArrayBuffer)`; the compiler is given a generated entry file (never written
 * to disk) that exports the module ABI around it: `run_e`, `allocate`, `deallocate` (docs/reference/host-abi.md §2). A source that exports
 * `run_e` itself is compiled as it is. The SDK is served to the compiler as `node_modules/@e2rx/sdk-assemblyscript`
 * wherever it really lives (see {@link resolveSdk}).
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Reader, SECTION, sections } from '../runtime/wasm-binary.js';
import { loadAsc } from './asc-api.js';
import { type BuildDiagnostic, lineAndColumn } from './diagnostics.js';
import { SDK_PACKAGE_NAME, type SdkLocation, resolveSdk } from './sdk.js';
import { E2RX_HOST_FUNCTIONS, E2RX_MODULE } from '../runtime/abi/catalogue.js';

/** The internal (`~lib/`) path of the SDK's runnable module, which holds the `abort`, `trace` and `seed` handlers. */
const SDK_RUNNABLE = `~lib/${SDK_PACKAGE_NAME}/assembly/runnable`;

/**
 * The compiler flags of every function build (besides the entry and output file):
 *
 * - `--runtime incremental`: the garbage-collecting runtime, so that memory is reclaimed when the host reuses an
 *   instance and during long invocations (about 3 kB more than `stub`, which never frees);
 * - `--optimizeLevel 3 --shrinkLevel 1`: optimised for speed, then size;
 * - assertions stay on: a failed `assert` reaches the host as error code -1 with the file and line;
 * - `--use abort=...`: `abort` reports through the host's `return_abort` instead of importing `env.abort`;
 * - `--use trace=...`, `--use console=...`: `trace` and `console.*` write to the host log (`log_msg`);
 * - `--use seed=...`: `Math.random` is seeded from WASI `random_get`;
 * - `--sourceMap`: a source map (written beside the module as `<name>.wasm.map`), with which a trap or an abort names
 *   the user's file and line; it changes nothing in the code (the module's `sourceMappingURL` section is left out).
 *
 * @example
 * ```ts
 * import { ASC_FLAGS } from './assemblyscript.js'; // internal
 * console.log(ASC_FLAGS.join(' '));
 * ```
 */
export const ASC_FLAGS: readonly string[] = [
  '--runtime',
  'incremental',
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '1',
  '--use',
  `abort=${SDK_RUNNABLE}/abortHandler`,
  '--use',
  `trace=${SDK_RUNNABLE}/traceHandler`,
  '--use',
  `seed=${SDK_RUNNABLE}/seedHandler`,
  '--use',
  `console=~lib/${SDK_PACKAGE_NAME}/assembly/console/console`,
  '--sourceMap',
  '--noColors',
];

/** The 16 host functions of the Runnable ABI (Atmo v0.4.x / Sat), which a module may import from `env`. */
export const RUNNABLE_HOST_FUNCTIONS: readonly string[] = [
  'return_result',
  'return_error',
  'return_abort',
  'get_ffi_result',
  'add_ffi_var',
  'fetch_url',
  'graphql_query',
  'cache_set',
  'cache_get',
  'log_msg',
  'request_get_field',
  'request_set_field',
  'resp_set_header',
  'get_static_file',
  'db_exec',
  'get_secret_value',
];

/** The exports every module built by e2rx must have (the Runnable ABI, docs/reference/host-abi.md §2). */
export const BUILT_MODULE_EXPORTS: readonly string[] = ['memory', 'allocate', 'deallocate', 'run_e'];

/** Name of the generated entry file, placed (virtually) next to the function's source. */
export const GENERATED_ENTRY_NAME = '__e2rx_entry__.ts';

/** What to compile. */
export interface CompileAssemblyScriptOptions {
  /** The AssemblyScript file that exports `run` (or `run_e`), for example `<app>/hello/index.ts`. */
  readonly source: string;
  /** The directory that diagnostics' file names are relative to; by default the source's directory. */
  readonly baseDir?: string;
  /** The SDK to compile against; by default {@link resolveSdk} from `baseDir`. */
  readonly sdk?: SdkLocation;
}

/** The outcome of {@link compileAssemblyScript}. */
export type CompileAssemblyScriptOutcome =
  | {
      readonly ok: true;
      /** The Wasm module. */
      readonly binary: Uint8Array;
      /** Its source map (JSON, without the sources' contents), when the compiler wrote one. */
      readonly sourceMap?: string;
      /** Every file the compiler read from disk (absolute paths): the function's sources and the SDK's. */
      readonly inputs: readonly string[];
      /** Warnings. */
      readonly diagnostics: readonly BuildDiagnostic[];
    }
  | {
      readonly ok: false;
      /** Every file the compiler read from disk before it stopped. */
      readonly inputs: readonly string[];
      /** The errors (at least one) and warnings. */
      readonly diagnostics: readonly BuildDiagnostic[];
    };

/**
 * The generated entry of a function whose source is `./<stem>.ts`: it imports the user's `run` and exports the ABI.
 *
 * @example
 * ```ts
 * import { generatedEntry } from './assemblyscript.js'; // internal
 * console.log(generatedEntry('index'));
 * ```
 */
export function generatedEntry(stem: string): string {
  return [
    '// Generated by e2rx build: the Runnable ABI around the function\'s `run`.',
    `import { run } from "./${stem}";`,
    `import { begin, finish } from "${SDK_PACKAGE_NAME}/assembly/runnable";`,
    `export { allocate, deallocate } from "${SDK_PACKAGE_NAME}/assembly/runnable";`,
    'export function run_e(pointer: usize, size: i32, ident: i32): void {',
    '  finish(run(begin(pointer, size, ident)));',
    '}',
    '',
  ].join('\n');
}

/** Whether a source defines `run_e` itself (then it is compiled without a generated entry). */
export function definesRunE(sourceText: string): boolean {
  return /\bexport\s+function\s+run_e\b|\bexport\s*\{[^}]*\brun_e\b[^}]*\}/.test(sourceText);
}

const toPosix = (path: string): string => path.split(sep).join('/');
const SDK_SEGMENT = `/node_modules/${SDK_PACKAGE_NAME}/`;

/**
 * Compiles one AssemblyScript function to a Runnable module with {@link ASC_FLAGS}, and checks the module: its imports
 * must be Runnable host functions (or WASI), and it must export `memory`, `allocate`, `deallocate` and `run_e`.
 * Never throws for a compile error: the outcome lists the diagnostics with file, line and column.
 *
 * @throws {@link E2rxError} `E2RX_BUILD_FAILED` when the compiler (`assemblyscript`) or the SDK is not installed.
 *
 * @example
 * ```ts
 * import { compileAssemblyScript } from './assemblyscript.js'; // internal
 * const outcome = await compileAssemblyScript({ source: './my-app/hello/index.ts', baseDir: './my-app' });
 * if (outcome.ok) console.log(outcome.binary.byteLength, 'bytes');
 * ```
 */
export async function compileAssemblyScript(options: CompileAssemblyScriptOptions): Promise<CompileAssemblyScriptOutcome> {
  const source = resolve(options.source);
  const baseDir = resolve(options.baseDir ?? dirname(source));
  const sdk = options.sdk ?? resolveSdk(baseDir);
  const sourceText = await readFile(source, 'utf8');
  const stem = basename(source, extname(source));
  const entry = definesRunE(sourceText) ? source : join(dirname(source), GENERATED_ENTRY_NAME);
  const entryText = entry === source ? sourceText : generatedEntry(stem);

  const asc = await loadAsc();
  const texts = new Map<string, string>();
  const inputs = new Set<string>();
  const diagnostics: BuildDiagnostic[] = [];
  let binary: Uint8Array | undefined;
  let sourceMap: string | undefined;
  let stderr = '';
  let reportedEntry = false;

  const realPath = (filename: string, dir: string): string => {
    const absolute = resolve(dir, filename);
    const posix = toPosix(absolute);
    const at = posix.lastIndexOf(SDK_SEGMENT);
    return at < 0 ? absolute : join(sdk.dir, posix.slice(at + SDK_SEGMENT.length));
  };
  const display = (absolute: string): string => {
    const rel = relative(baseDir, absolute);
    return rel.startsWith('..') || isAbsolute(rel) ? absolute : toPosix(rel);
  };
  type Where = { file: string; text: string | undefined; kind: 'user' | 'library' | 'entry' };
  const locate = (normalizedPath: string): Where => {
    if (normalizedPath.startsWith(`~lib/${SDK_PACKAGE_NAME}/`)) {
      const file = join(sdk.dir, normalizedPath.slice(`~lib/${SDK_PACKAGE_NAME}/`.length));
      return { file: normalizedPath.slice('~lib/'.length), text: texts.get(file), kind: 'library' };
    }
    if (normalizedPath.startsWith('~lib/')) {
      const key = normalizedPath.slice('~lib/'.length).replace(/\.ts$/, '');
      return { file: normalizedPath, text: asc.libraryFiles[key], kind: 'library' };
    }
    const file = resolve(baseDir, normalizedPath);
    return { file: display(file), text: texts.get(file), kind: file === entry && entry !== source ? 'entry' : 'user' };
  };

  const result = await asc.main([toPosix(relative(baseDir, entry)), '--outFile', 'module.wasm', '--baseDir', baseDir, ...ASC_FLAGS], {
    stdout: { write: () => undefined },
    stderr: {
      write: (chunk: Uint8Array | string) => {
        stderr += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      },
    },
    readFile: async (filename: string, dir: string) => {
      const path = realPath(filename, dir);
      if (path === entry) return entryText;
      if (path === join(baseDir, 'asconfig.json')) return null;
      try {
        const text = await readFile(path, 'utf8');
        texts.set(path, text);
        inputs.add(path);
        return text;
      } catch {
        return null;
      }
    },
    writeFile: (filename: string, contents: Uint8Array | string) => {
      if (filename.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
      if (filename.endsWith('.wasm.map')) sourceMap = typeof contents === 'string' ? contents : new TextDecoder().decode(contents);
    },
    listFiles: () => [],
    reportDiagnostic: (message) => {
      const severity = message.category === 3 ? 'error' : message.category === 2 ? 'warning' : 'info';
      const code = `${message.code >= 1000 ? 'TS' : 'AS'}${message.code}`;
      if (message.range === null) {
        diagnostics.push({ severity, code, message: message.message });
        return;
      }
      const where = locate(message.range.source.normalizedPath);
      const position = where.text === undefined ? undefined : lineAndColumn(where.text, message.range.start);
      if (where.kind === 'entry') {
        // The generated entry only fails when the source has no usable `run`: report that once, at the source.
        if (reportedEntry) return;
        reportedEntry = true;
        diagnostics.push({
          severity,
          code,
          message: `${basename(source)} must export a function \`run(input: ArrayBuffer)\` (${message.message})`,
          file: display(source),
          line: 1,
          column: 1,
        });
      } else if (where.kind === 'library' && severity === 'error') {
        // An error raised inside the SDK or the standard library is caused by how the function uses it.
        const at = position === undefined ? where.file : `${where.file}:${position.line}:${position.column}`;
        diagnostics.push({ severity, code, message: `${message.message} (raised in ${at})`, file: display(source) });
      } else {
        diagnostics.push({ severity, code, message: message.message, file: where.file, ...position });
      }
    },
  });

  const inputList = [...inputs].filter((path) => path !== entry).sort();
  if (result.error !== null || binary === undefined) {
    if (!diagnostics.some((d) => d.severity === 'error')) {
      diagnostics.push({
        severity: 'error',
        code: 'E2RX',
        message: (result.error?.message ?? stderr.trim()) || 'the compiler produced no module',
        file: display(source),
      });
    }
    return { ok: false, inputs: inputList, diagnostics };
  }
  const problems = checkRunnableModule(binary).map(
    (message): BuildDiagnostic => ({ severity: 'error', code: 'E2RX', message, file: display(source) }),
  );
  if (problems.length > 0) return { ok: false, inputs: inputList, diagnostics: [...diagnostics, ...problems] };
  const map = sourceMap === undefined ? undefined : slimSourceMap(sourceMap);
  return { ok: true, binary: withoutCustomSection(binary, 'sourceMappingURL'), inputs: inputList, diagnostics, ...(map === undefined ? {} : { sourceMap: map }) };
}

/** The source map without the sources' contents (the standard library's would make it hundreds of kB). */
function slimSourceMap(text: string): string | undefined {
  try {
    const map = JSON.parse(text) as Record<string, unknown>;
    delete map['sourcesContent'];
    delete map['sourceRoot'];
    return JSON.stringify(map);
  } catch {
    return undefined;
  }
}

/** The module without its custom sections called `name`. */
function withoutCustomSection(binary: Uint8Array, name: string): Uint8Array {
  const found = sections(binary).filter((s) => s.id === SECTION.custom && new Reader(binary, s.payload, s.end).name() === name);
  if (found.length === 0) return binary;
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const section of found) {
    parts.push(binary.subarray(from, section.start));
    from = section.end;
  }
  parts.push(binary.subarray(from));
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Hints for imports that AssemblyScript emits for features no Runnable host provides. */
const IMPORT_HINTS: Readonly<Record<string, string>> = {
  'env.Date.now': 'Date.now() is not available in functions (the host ABI has no clock)',
  'env.abort': 'build with `e2rx build`, which routes abort to return_abort',
};

/**
 * The problems that would stop a module from running as a Runnable: imports that are neither a host function of the
 * ABI nor WASI preview 1, and missing exports. Empty when it is fine.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { checkRunnableModule } from './assemblyscript.js'; // internal
 * console.log(checkRunnableModule(readFileSync('./my-app/hello.wasm')));
 * ```
 */
export function checkRunnableModule(binary: Uint8Array): string[] {
  const module = new WebAssembly.Module(binary);
  const problems: string[] = [];
  for (const entry of WebAssembly.Module.imports(module)) {
    if (entry.module === 'wasi_snapshot_preview1') continue;
    if (entry.module === 'env' && RUNNABLE_HOST_FUNCTIONS.includes(entry.name)) continue;
    if (entry.module === E2RX_MODULE && Object.hasOwn(E2RX_HOST_FUNCTIONS, entry.name)) continue;
    const key = `${entry.module}.${entry.name}`;
    const hint = IMPORT_HINTS[key];
    problems.push(`the module imports ${key}, which no Runnable host provides${hint === undefined ? '' : `: ${hint}`}`);
  }
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const name of BUILT_MODULE_EXPORTS) {
    if (!exported.has(name)) problems.push(`the module does not export \`${name}\``);
  }
  return problems;
}
