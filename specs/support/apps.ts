/**
 * Temporary apps for specs: WebAssembly modules compiled from WAT with `wabt`, app directories and
 * `runnables.wasm.zip` bundles under `os.tmpdir()`.
 *
 * @example
 * ```ts
 * const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': await runnableWasm() } });
 * const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': await runnableWasm() });
 * ```
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import wabt from 'wabt';
import type { CommandIo } from '../../src/cli/command.js';

/**
 * The smallest Runnable: exports `memory`, `allocate`, `deallocate` and `run_e`, imports `env.return_result`, and
 * echoes its input.
 */
export const RUNNABLE_WAT = `(module
  (import "env" "return_result" (func $return_result (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "allocate") (param $size i32) (result i32) (i32.const 1024))
  (func (export "deallocate") (param $ptr i32) (param $size i32))
  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (call $return_result (local.get $ptr) (local.get $size) (local.get $ident))))`;

/** A valid module that is not a Runnable: it has memory and allocate but no `run_e`. */
export const NOT_RUNNABLE_WAT = `(module
  (memory (export "memory") 1)
  (func (export "allocate") (param $size i32) (result i32) (i32.const 1024))
  (func (export "deallocate") (param $ptr i32) (param $size i32)))`;

let toolkit: ReturnType<typeof wabt> | undefined;

/** Compiles WAT text to a WebAssembly binary. */
export async function compileWat(source: string, name = 'module.wat'): Promise<Uint8Array> {
  toolkit ??= wabt();
  const kit = await toolkit;
  const parsed = kit.parseWat(name, source);
  try {
    parsed.resolveNames();
    parsed.validate();
    return new Uint8Array(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

let runnable: Promise<Uint8Array> | undefined;
let notRunnable: Promise<Uint8Array> | undefined;

/** The bytes of {@link RUNNABLE_WAT} (compiled once). */
export function runnableWasm(): Promise<Uint8Array> {
  runnable ??= compileWat(RUNNABLE_WAT, 'runnable.wat');
  return runnable;
}

/** The bytes of {@link NOT_RUNNABLE_WAT}: a valid module without `run_e` (compiled once). */
export function notRunnableWasm(): Promise<Uint8Array> {
  notRunnable ??= compileWat(NOT_RUNNABLE_WAT, 'not-runnable.wat');
  return notRunnable;
}

/**
 * A Grain-style module (Grain builds emit `<name>.gr.wasm` beside the real module): a real Runnable, so that only
 * its `.gr` stem keeps it out of the inferred runnables.
 */
export function grainWasm(): Promise<Uint8Array> {
  return runnableWasm();
}

/** Bytes that are not WebAssembly at all. */
export const NOT_WASM: Uint8Array = new TextEncoder().encode('this is not a wasm module, just text\n');

/** Bytes that start with the wasm magic number but are not a valid module. */
export const TRUNCATED_WASM: Uint8Array = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff]);

/** Options of {@link minimalDirective}. */
export interface DirectiveOptions {
  readonly identifier?: string;
  readonly appVersion?: string;
  /** The functions: listed as `runnables` unless `listRunnables` is false (default ['hello']). */
  readonly functions?: readonly string[];
  /** Whether to write the `runnables` list (default true). */
  readonly listRunnables?: boolean;
  /** Extra YAML appended as is (top-level keys). */
  readonly extra?: string;
}

/** A valid Directive with one `POST /<fn>` handler per function. */
export function minimalDirective(options: DirectiveOptions = {}): string {
  const functions = options.functions ?? ['hello'];
  const lines = [
    `identifier: ${options.identifier ?? 'com.example.spec'}`,
    `appVersion: ${options.appVersion ?? 'v1.0.0'}`,
    'atmoVersion: v0.4.7',
  ];
  if (options.listRunnables ?? true) {
    lines.push('runnables:');
    for (const fn of functions) lines.push(`  - name: ${fn}`, '    namespace: default', '    lang: wat');
  }
  lines.push('handlers:');
  for (const fn of functions) lines.push('  - type: request', `    resource: /${fn}`, '    method: POST', '    steps:', `      - fn: ${fn}`);
  if (options.extra) lines.push(options.extra);
  return `${lines.join('\n')}\n`;
}

const created: string[] = [];

/** A fresh empty directory under the system temp directory; removed by {@link cleanupApps}. */
export async function makeTempDir(prefix = 'e2rx-spec-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** File contents by path relative to the app (`hello.wasm`, `static/a.txt`, `hello/hello.wasm`). */
export type AppFileMap = Readonly<Record<string, string | Uint8Array>>;

/**
 * Writes an app directory: `Directive.yaml` (or `directiveName`) holding `directive` when given, and every file of
 * `files` (sub-folders are created).
 *
 * @returns the directory's absolute path.
 */
export async function makeAppDir(options: { readonly directive?: string; readonly directiveName?: string; readonly files?: AppFileMap } = {}): Promise<string> {
  const dir = await makeTempDir('e2rx-app-');
  if (options.directive !== undefined) await writeFile(join(dir, options.directiveName ?? 'Directive.yaml'), options.directive);
  await writeFiles(dir, options.files ?? {});
  return dir;
}

/** Writes `files` under `dir`, creating folders. */
export async function writeFiles(dir: string, files: AppFileMap): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

/** The bytes of a zip archive holding `entries` (zip paths as keys). */
export function zipBytes(entries: AppFileMap): Uint8Array {
  const encoder = new TextEncoder();
  return zipSync(Object.fromEntries(Object.entries(entries).map(([name, content]) => [name, typeof content === 'string' ? encoder.encode(content) : content])));
}

/**
 * Writes a bundle holding `entries` (zip paths as keys: `Directive.yaml`, `hello.wasm`, `static/a.txt`) into a fresh
 * temp directory.
 *
 * @returns the bundle's path and its directory.
 */
export async function makeBundle(entries: AppFileMap, name = 'runnables.wasm.zip'): Promise<{ readonly path: string; readonly dir: string }> {
  const dir = await makeTempDir('e2rx-bundle-');
  const path = join(dir, name);
  await writeFile(path, zipBytes(entries));
  return { path, dir };
}

/** Removes every directory created by this module (call in `afterAll`). */
export async function cleanupApps(): Promise<void> {
  const dirs = created.splice(0);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A {@link CommandIo} that records what a command writes. */
export interface CapturedIo extends CommandIo {
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
}

/**
 * A capturing IO for `main(argv, io)`: stdout and stderr are recorded (never a TTY), `cwd` and `env` are as given
 * (`env` defaults to empty so that the host's variables do not leak into specs).
 */
export function captureIo(options: { readonly cwd?: string; readonly env?: Readonly<Record<string, string | undefined>>; readonly signal?: AbortSignal } = {}): CapturedIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text), isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
    ...(options.signal ? { signal: options.signal } : {}),
    out: () => out,
    err: () => err,
  };
}
