/**
 * Compiling one Go function to a Runnable Wasm module with the installed Go toolchain: a WASI reactor
 * (`GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared`) whose exports `allocate`, `deallocate` and `run_e` come
 * from the Go SDK (`sdk/go`, module `e2rx`), and `_initialize` from the toolchain.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRunnableModule } from './assemblyscript.js';
import type { BuildDiagnostic } from './diagnostics.js';
import { type GoToolchain, runGo } from './go-toolchain.js';

/**
 * The arguments of every Go function build, after `go` (the package and `-o` come last):
 *
 * - `-buildmode=c-shared`: a reactor module, whose `_initialize` starts the Go runtime and runs the init functions
 *   (where `e2rx.Handle` registers the handler); `main` is never called;
 * - `-trimpath`: no local paths in the module (the same sources build the same module anywhere);
 * - `-buildvcs=false`: no version-control stamp (a build must not depend on git being installed, or on the state of
 *   the work tree).
 *
 * @example
 * ```ts
 * import { GO_BUILD_FLAGS, GO_BUILD_ENV } from './go.js'; // internal
 * console.log(Object.entries(GO_BUILD_ENV).map(([k, v]) => `${k}=${v}`).join(' '), 'go', GO_BUILD_FLAGS.join(' '));
 * ```
 */
export const GO_BUILD_FLAGS: readonly string[] = ['build', '-buildmode=c-shared', '-trimpath', '-buildvcs=false'];

/** The environment of every Go function build, over the caller's: WebAssembly for WASI preview 1, without cgo. */
export const GO_BUILD_ENV: Readonly<Record<string, string>> = { GOOS: 'wasip1', GOARCH: 'wasm', CGO_ENABLED: '0' };

/** Environment variables of the caller that change what `go build` produces, so they are part of a build's hash. */
export const GO_BUILD_VARIABLES: readonly string[] = ['GOFLAGS', 'GOEXPERIMENT', 'GOWASM', 'GOTOOLCHAIN', 'GOWORK'];

/** What to compile. */
export interface CompileGoOptions {
  /** The directory of the module (holding `go.mod`): the function's directory, or the app's. */
  readonly moduleDir: string;
  /** The function's directory (its main package). */
  readonly dir: string;
  /** Where to write the module. */
  readonly output: string;
  /** The directory that diagnostics' and inputs' paths are relative to (the app). */
  readonly baseDir: string;
  /** The toolchain (see {@link findGoToolchain}). */
  readonly go: GoToolchain;
}

/** The outcome of {@link compileGo}. */
export type CompileGoOutcome =
  | {
      readonly ok: true;
      /** The Wasm module, also written to `output`. */
      readonly binary: Uint8Array;
      /**
       * What the module was built from (absolute paths): every file of the main package and of the packages it
       * imports from modules on disk (the SDK included), their modules' `go.mod` and `go.sum`, and each package
       * directory with a trailing `/` (its list of files, so that a new file is noticed).
       */
      readonly inputs: readonly string[];
      /** Warnings. */
      readonly diagnostics: readonly BuildDiagnostic[];
    }
  | { readonly ok: false; readonly diagnostics: readonly BuildDiagnostic[] };

const toPosix = (path: string): string => path.split(sep).join('/');

/** The environment of the `go` commands of a build. */
export function goBuildEnv(go: GoToolchain): Record<string, string | undefined> {
  return { ...go.env, ...GO_BUILD_ENV };
}

/**
 * Compiles a Go function (its main package) to a Runnable module with {@link GO_BUILD_FLAGS} and
 * {@link GO_BUILD_ENV}, writes it to `output` (through a temporary file), checks it like an AssemblyScript build
 * (imports: host functions and WASI only; exports: memory, allocate, deallocate, run_e) and lists its inputs with
 * `go list -deps`. Never throws for a compile error: the outcome lists the diagnostics with file, line and column.
 *
 * @example
 * ```ts
 * import { compileGo } from './go.js'; // internal
 * import { findGoToolchain } from './go-toolchain.js';
 * const go = await findGoToolchain({ cwd: './my-app' });
 * const outcome = await compileGo({ moduleDir: './my-app/hello', dir: './my-app/hello', output: './my-app/hello.wasm', baseDir: './my-app', go });
 * if (outcome.ok) console.log(outcome.binary.byteLength, 'bytes');
 * ```
 */
export async function compileGo(options: CompileGoOptions): Promise<CompileGoOutcome> {
  const baseDir = resolve(options.baseDir);
  const moduleDir = resolve(options.moduleDir);
  const dir = resolve(options.dir);
  const output = resolve(options.output);
  const display = (absolute: string): string => {
    const rel = relative(baseDir, absolute);
    return rel.startsWith('..') || isAbsolute(rel) ? absolute : toPosix(rel);
  };
  const functionFile = display(dir);
  if (!existsSync(join(moduleDir, 'go.mod'))) {
    return {
      ok: false,
      diagnostics: [
        {
          severity: 'error',
          code: 'E2RX',
          message: `${functionFile} holds a Go main package but no go.mod: a Go function is a module; run \`go mod init <name>\` in it and require the SDK (see docs/guides/go-functions.md)`,
          file: functionFile,
        },
      ],
    };
  }
  const pkg = packagePath(moduleDir, dir);
  const env = goBuildEnv(options.go);
  const temporary = `${output}.tmp`;
  const build = await runGo(options.go.command, [...GO_BUILD_FLAGS, '-o', temporary, pkg], { cwd: moduleDir, env });
  if (build.code !== 0) {
    await rm(temporary, { force: true });
    const diagnostics = parseGoDiagnostics(build.stderr, moduleDir, display).map(withSdkHint);
    return { ok: false, diagnostics: diagnostics.length > 0 ? diagnostics : [{ severity: 'error', code: 'GO', message: `go build failed with exit code ${build.code}`, file: functionFile }] };
  }
  const binary = new Uint8Array(await readFile(temporary));
  const problems = checkRunnableModule(binary).map(
    (message): BuildDiagnostic => ({ severity: 'error', code: 'E2RX', message: goHint(message), file: functionFile }),
  );
  if (problems.length > 0) {
    await rm(temporary, { force: true });
    return { ok: false, diagnostics: problems };
  }
  const listed = await listInputs(options.go, moduleDir, pkg);
  if (!listed.ok) {
    await rm(temporary, { force: true });
    return { ok: false, diagnostics: [{ severity: 'error', code: 'GO', message: listed.message, file: functionFile }] };
  }
  await rename(temporary, output);
  return { ok: true, binary, inputs: listed.inputs, diagnostics: [] };
}

/** The package argument of `go build` for the main package in `dir` of the module in `moduleDir`. */
function packagePath(moduleDir: string, dir: string): string {
  const rel = toPosix(relative(moduleDir, dir));
  return rel === '' ? '.' : `./${rel}`;
}

/**
 * The directory of the Go SDK (module `e2rx`) that comes with this e2rx (`<package>/sdk/go`), found by walking up
 * from this file; `undefined` when it is missing from the installation.
 *
 * @example
 * ```ts
 * import { goSdkDir } from './go.js'; // internal
 * console.log(`replace e2rx => ${goSdkDir()}`);
 * ```
 */
export function goSdkDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'sdk', 'go');
    if (existsSync(join(candidate, 'go.mod'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * What to do when Go cannot find the SDK: the module's go.mod does not require it (Go says "not in std"), or requires
 * it without replacing it with its directory (Go asks for a go.sum entry of a module it cannot download).
 */
function withSdkHint(diagnostic: BuildDiagnostic): BuildDiagnostic {
  const missing = /package e2rx(\/\w+)? is not in std|no required module provides package e2rx(\/\w+)?;|missing go\.sum entry for module providing package e2rx(\/\w+)? /;
  if (!missing.test(diagnostic.message)) return diagnostic;
  const sdk = goSdkDir() ?? '<the e2rx checkout>/sdk/go';
  return {
    ...diagnostic,
    message: `${(diagnostic.message.split('\n')[0] ?? '').replace(/; to add:$/, '')}: the module's go.mod must require the Go SDK: add "require e2rx v0.0.0" and "replace e2rx => ${sdk}" (see docs/guides/go-functions.md)`,
  };
}

/** Adds what to do to the module checks' messages that a Go function can cause. */
function goHint(message: string): string {
  if (/does not export `(allocate|deallocate|run_e)`/.test(message)) {
    return `${message}: import the SDK ("e2rx") and register the handler with e2rx.Handle in an init function`;
  }
  if (/imports /.test(message)) return `${message}: a Go function reaches the host only through the SDK's packages`;
  return message;
}

/**
 * Diagnostics from the standard error of `go build` or `go vet`: `file.go:line:col: message` lines (paths relative to
 * `cwd`) with their location, and the other lines that say something (not the `# package` headers) as they are.
 *
 * @example
 * ```ts
 * parseGoDiagnostics('# example.com/hello\n./main.go:4:2: undefined: x\n', '/app/hello', (p) => p);
 * // [{ severity: 'error', code: 'GO', message: 'undefined: x', file: '/app/hello/main.go', line: 4, column: 2 }]
 * ```
 */
export function parseGoDiagnostics(stderr: string, cwd: string, display: (absolute: string) => string): BuildDiagnostic[] {
  const diagnostics: BuildDiagnostic[] = [];
  for (const line of stderr.split('\n')) {
    const text = line.trimEnd();
    if (text === '' || text.startsWith('# ')) continue;
    const located = /^(.+?\.(?:go|mod|s)):(\d+)(?::(\d+))?: (.*)$/.exec(text);
    if (located === null) {
      // A continuation of the previous message (an indented line), or a message without a place.
      const previous = diagnostics.at(-1);
      if (/^\s/.test(line) && previous !== undefined) {
        diagnostics[diagnostics.length - 1] = { ...previous, message: `${previous.message}\n${text.trim()}` };
      } else {
        diagnostics.push({ severity: 'error', code: 'GO', message: text });
      }
      continue;
    }
    const [, file = '', lineNumber = '1', column, message = ''] = located;
    diagnostics.push({
      severity: 'error',
      code: 'GO',
      message,
      file: display(resolve(cwd, file)),
      line: Number(lineNumber),
      column: column === undefined ? 1 : Number(column),
    });
  }
  return diagnostics;
}

/** One package of `go list -json`. */
interface ListedPackage {
  readonly Dir?: string;
  readonly Standard?: boolean;
  readonly GoFiles?: readonly string[];
  readonly IgnoredGoFiles?: readonly string[];
  readonly EmbedFiles?: readonly string[];
  readonly Module?: {
    readonly Main?: boolean;
    readonly Dir?: string;
    readonly GoMod?: string;
    readonly Replace?: { readonly Version?: string; readonly Dir?: string; readonly GoMod?: string };
  };
  readonly Error?: { readonly Err?: string };
}

const LIST_FIELDS = 'Dir,Standard,GoFiles,IgnoredGoFiles,EmbedFiles,Module,Error';

/** Parses the output of `go list -json`: JSON objects one after the other. */
function parseListed(stdout: string): ListedPackage[] {
  const trimmed = stdout.trim();
  if (trimmed === '') return [];
  // Top-level objects are written with `{` and `}` at the start of a line; nested ones are indented.
  return JSON.parse(`[${trimmed.replace(/\n}\n{/g, '\n},\n{')}]`) as ListedPackage[];
}

/**
 * The inputs of a build (see {@link CompileGoOutcome}) from `go list -deps`: the packages of the standard library and
 * of downloaded modules (fixed by the module's `go.mod` and `go.sum`, and by the Go version) are left out.
 */
async function listInputs(go: GoToolchain, moduleDir: string, pkg: string): Promise<{ ok: true; inputs: string[] } | { ok: false; message: string }> {
  const run = await runGo(go.command, ['list', '-deps', `-json=${LIST_FIELDS}`, pkg], { cwd: moduleDir, env: goBuildEnv(go) });
  if (run.code !== 0) return { ok: false, message: `go list failed: ${run.stderr.trim()}` };
  let packages: ListedPackage[];
  try {
    packages = parseListed(run.stdout);
  } catch (error) {
    return { ok: false, message: `go list printed what e2rx cannot read: ${(error as Error).message}` };
  }
  const inputs = new Set<string>();
  for (const listed of packages) {
    const module = listed.Module;
    if (listed.Standard === true || listed.Dir === undefined || module === undefined) continue;
    const local = module.Main === true || (module.Replace !== undefined && (module.Replace.Version ?? '') === '');
    if (!local) continue;
    inputs.add(`${listed.Dir}${sep}`);
    const ignored = (listed.IgnoredGoFiles ?? []).filter((file) => !file.endsWith('_test.go'));
    for (const file of [...(listed.GoFiles ?? []), ...ignored, ...(listed.EmbedFiles ?? [])]) inputs.add(join(listed.Dir, file));
    const goMod = module.Replace?.GoMod ?? module.GoMod;
    if (goMod !== undefined) {
      inputs.add(goMod);
      const goSum = join(dirname(goMod), 'go.sum');
      if (existsSync(goSum)) inputs.add(goSum);
    }
  }
  return { ok: true, inputs: [...inputs].sort() };
}
