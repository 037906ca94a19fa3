/**
 * Compiles the WAT fixtures of `specs/fixtures/wasm/` with the `wabt` npm package, once per name.
 *
 * @example
 * ```ts
 * const echo = await compileWat('echo');
 * ```
 */
import { loadAsc } from '../../src/build/asc-api.js';
import { readFile } from 'node:fs/promises';
import wabt from 'wabt';

const FIXTURES = new URL('../fixtures/wasm/', import.meta.url);
const cache = new Map<string, Promise<Uint8Array>>();
let toolkit: ReturnType<typeof wabt> | undefined;

/** Options of {@link compileWatSource}: extra wabt features (tail calls, exceptions, threads) and the name section. */
export interface WatOptions {
  readonly features?: Readonly<Record<string, boolean>>;
  /** Writes the `name` section (function and local names). */
  readonly names?: boolean;
}

async function compile(name: string, source?: string, options: WatOptions = {}): Promise<Uint8Array> {
  toolkit ??= wabt();
  const kit = await toolkit;
  const text = source ?? (await readFile(new URL(`${name}.wat`, FIXTURES), 'utf8'));
  const features = { mutable_globals: true, sign_extension: true, bulk_memory: true, multi_value: true, tail_call: true, ...options.features };
  const parsed = kit.parseWat(`${name}.wat`, text, features);
  try {
    parsed.resolveNames();
    // wabt's validate() takes the features too (its typings omit the parameter); without them it validates with the
    // defaults and refuses what parseWat accepted (shared memories, tags).
    (parsed.validate.bind(parsed) as (features: Readonly<Record<string, boolean>>) => void)(features);
    return new Uint8Array(parsed.toBinary({ write_debug_names: options.names === true }).buffer);
  } finally {
    parsed.destroy();
  }
}

/** The binary of `specs/fixtures/wasm/<name>.wat`, compiled once and cached. */
export function compileWat(name: string): Promise<Uint8Array> {
  let pending = cache.get(name);
  if (pending === undefined) {
    pending = compile(name);
    cache.set(name, pending);
  }
  return pending;
}

const assemblyScriptCache = new Map<string, Promise<Uint8Array>>();

async function compileAs(name: string): Promise<Uint8Array> {
  const asc = await loadAsc();
  const source = await readFile(new URL(`${name}.ts`, FIXTURES), 'utf8');
  const result = await asc.compileString({ 'runnable.ts': source }, { runtime: 'incremental', optimizeLevel: 2, use: ['abort=runnable/runnableAbort'] });
  // Without a stderr option, compileString writes to a memory stream, which has a toString().
  if (result.error !== null || result.binary === null) throw new Error(`asc failed: ${result.stderr.toString()}`);
  return result.binary;
}

/** The binary of the AssemblyScript fixture `specs/fixtures/wasm/<name>.ts`, compiled once with asc and cached. */
export function compileAssemblyScript(name: string): Promise<Uint8Array> {
  let pending = assemblyScriptCache.get(name);
  if (pending === undefined) {
    pending = compileAs(name);
    assemblyScriptCache.set(name, pending);
  }
  return pending;
}

/** Compiles WAT source text given inline (not cached). */
export function compileWatSource(source: string, name = 'inline', options?: WatOptions): Promise<Uint8Array> {
  return compile(name, source, options);
}

/**
 * The text of a binary as wabt prints it (flat, one instruction per line), with the names of its `name` section:
 * an oracle independent of e2rx's own binary reader.
 */
export async function watOf(bytes: Uint8Array, features: Readonly<Record<string, boolean>> = {}): Promise<string> {
  toolkit ??= wabt();
  const kit = await toolkit;
  const module = kit.readWasm(bytes, { readDebugNames: true, ...features });
  try {
    module.applyNames();
    return module.toText({ foldExprs: false, inlineExport: false });
  } finally {
    module.destroy();
  }
}
