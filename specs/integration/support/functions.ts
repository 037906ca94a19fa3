/**
 * The guest functions of `specs/fixtures/functions/` (AssemblyScript, e2rx's SDK), built with `buildApp` into
 * `node_modules/.cache/e2rx-spec-functions/` — the build manifest there skips functions whose sources did not change,
 * so only the first spec file of a run (or a changed probe) pays for the compiler.
 *
 * @example
 * ```ts
 * const modules = await builtFunctions();
 * const bytes = modules.get('cache-probe');
 * ```
 */
import { cp, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../../src/build/build-app.js';

/** The repository's root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the probe sources live. */
export const FUNCTIONS_DIR = join(REPO_ROOT, 'specs', 'fixtures', 'functions');

/** The SDK the probes are built with: this repository's. */
export const SDK_DIR = join(REPO_ROOT, 'sdk', 'assemblyscript');

/** The build folder (outside the work tree's tracked files). */
export const BUILD_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'e2rx-spec-functions');

let built: Promise<ReadonlyMap<string, Uint8Array>> | undefined;

async function build(): Promise<ReadonlyMap<string, Uint8Array>> {
  await mkdir(BUILD_DIR, { recursive: true });
  const names = (await readdir(FUNCTIONS_DIR, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  for (const name of names) await cp(join(FUNCTIONS_DIR, name), join(BUILD_DIR, name), { recursive: true });
  const report = await buildApp(BUILD_DIR, { sdkDir: SDK_DIR, only: names });
  if (!report.ok) {
    const failed = report.functions.filter((fn) => fn.status === 'failed');
    throw new Error(`the probe functions did not build: ${JSON.stringify(failed, null, 2)}`);
  }
  const modules = new Map<string, Uint8Array>();
  for (const name of names) modules.set(name, new Uint8Array(await readFile(join(BUILD_DIR, `${name}.wasm`))));
  return modules;
}

/** Every probe's module, built once per process (and only when its sources changed). */
export function builtFunctions(): Promise<ReadonlyMap<string, Uint8Array>> {
  built ??= build();
  return built;
}

/** One probe's module. */
export async function functionWasm(name: string): Promise<Uint8Array> {
  const bytes = (await builtFunctions()).get(name);
  if (bytes === undefined) throw new Error(`no probe function named ${name} in ${FUNCTIONS_DIR}`);
  return bytes;
}
