/**
 * Registration of a function: compile once, check the Runnable exports, plan the imports and describe the module
 * ({@link FunctionInfo}).
 *
 * @module
 */
import { E2rxError, errorMessage } from '../errors.js';
import { hostFunctionSpec } from './abi/catalogue.js';
import { type ImportPlan, planImports } from './abi/imports.js';
import { functionBodies, type GuestDebugInfo } from './guest-frame.js';
import { FUEL_EXPORT, instrumentDeadlines, METER_MODULE } from './instrument.js';
import { WASI_FUNCTION_NAMES } from './wasi.js';
import { capMemoryMaximum, type ModuleLayout, readModuleLayout } from './wasm-binary.js';

/** What the runtime learned about a registered function. */
export interface FunctionInfo {
  /** The name it was registered under. */
  readonly name: string;
  /** Size of the binary in bytes. */
  readonly size: number;
  /** The names of its exports. */
  readonly exports: readonly string[];
  /** Which lifecycle exports it has: `_initialize`, `_start` and `init` are called once per instance, in that order. */
  readonly lifecycle: { readonly initialize: boolean; readonly start: boolean; readonly init: boolean; readonly deallocate: boolean };
  /** The host functions (module `env`) it imports and gets. */
  readonly hostImports: readonly string[];
  /** Those of them that need the asynchronous host services (a bridge round trip; unavailable inline). */
  readonly asyncImports: readonly string[];
  /** The WASI functions it imports. */
  readonly wasiImports: readonly string[];
  /** `module.name` of the imports that are stubbed (functions return -1). */
  readonly unknownImports: readonly string[];
  /** Its memory in pages (64 KiB), after the maximum was capped at `limits.maxMemoryMb`; undefined when unknown. */
  readonly memory: { readonly initialPages: number; readonly maximumPages: number } | undefined;
  /** Anything worth a warning: stubbed imports, missing `deallocate`. */
  readonly warnings: readonly string[];
  /**
   * Whether the module was instrumented with deadline checks (see `instrument.ts`): then a call can be stopped at its
   * deadline without stopping its thread, and the function may run on the calling thread. `false` when the rewrite
   * could not handle the module (see {@link FunctionInfo.meteringError}).
   */
  readonly metered: boolean;
  /** Why the module could not be instrumented, when it could not. */
  readonly meteringError?: string;
}

/** A compiled function ready to be instantiated anywhere (the module and plan are structured-cloneable). */
export interface PreparedModule {
  readonly info: FunctionInfo;
  readonly module: WebAssembly.Module;
  readonly plan: ImportPlan;
  /** What names the user's frame of a failure, when the module came with a source map. */
  readonly debug?: GuestDebugInfo;
}

const WASI_NAMES: ReadonlySet<string> = new Set(WASI_FUNCTION_NAMES);
const REQUIRED_FUNCTIONS = ['allocate', 'run_e'] as const;

function readLayout(wasm: Uint8Array): ModuleLayout | undefined {
  try {
    return readModuleLayout(wasm);
  } catch {
    return undefined;
  }
}

async function compile(name: string, wasm: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(wasm);
  } catch (error) {
    throw new E2rxError('E2RX_MODULE_INVALID', `${name}: not a valid WebAssembly module: ${errorMessage(error)}`, {
      cause: error,
      details: { fn: name },
    });
  }
}

function cap(name: string, wasm: Uint8Array, maxPages: number, layout: ModuleLayout | undefined): Uint8Array {
  if (layout === undefined) return wasm;
  try {
    return capMemoryMaximum(wasm, maxPages);
  } catch (error) {
    throw new E2rxError('E2RX_WASM_MEMORY', `${name}: ${errorMessage(error)}`, { details: { fn: name, maxPages } });
  }
}

function checkExports(name: string, exports: readonly WebAssembly.ModuleExportDescriptor[], importsMemory: boolean): void {
  const kinds = new Map(exports.map((e) => [e.name, e.kind]));
  const missing = REQUIRED_FUNCTIONS.filter((n) => kinds.get(n) !== 'function').map(String);
  if (!importsMemory && kinds.get('memory') !== 'memory') missing.unshift('memory');
  if (missing.length > 0) {
    throw new E2rxError('E2RX_MODULE_NOT_RUNNABLE', `${name}: the module does not export ${missing.join(', ')}`, {
      details: { fn: name, missing },
    });
  }
}

/**
 * Compiles a function's binary (its memory maximum capped at `maxPages`), checks that it exports the Runnable ABI
 * (`memory`, `allocate`, `run_e`) and plans its imports.
 *
 * Rejects with `E2RX_MODULE_INVALID` (not WebAssembly), `E2RX_MODULE_NOT_RUNNABLE` (ABI exports missing, or an
 * import kind the runtime cannot provide) or `E2RX_WASM_MEMORY` (initial memory above the limit).
 *
 * @example
 * ```ts
 * const { info, module, plan } = await prepareModule('hello', bytes, 4096);
 * for (const warning of info.warnings) logger.warn(warning);
 * ```
 */
export async function prepareModule(name: string, wasm: Uint8Array, maxPages: number, sourceMap?: string): Promise<PreparedModule> {
  const layout = readLayout(wasm);
  const capped = cap(name, wasm, maxPages, layout);
  const { module, metered, meteringError, moved } = await compileMetered(name, capped);
  // Only the instrumented module's own additions are hidden: a module left as it was keeps any __e2rx import (it is
  // planned like any unknown import) and any __e2rx_fuel export of its own.
  const descriptors = WebAssembly.Module.imports(module).filter((d) => !metered || d.module !== METER_MODULE);
  const exports = WebAssembly.Module.exports(module).filter((e) => !metered || e.name !== FUEL_EXPORT);
  const importedMemory = layout?.imports.find((i) => i.desc.kind === 'memory')?.desc;
  checkExports(name, exports, descriptors.some((d) => d.kind === 'memory'));
  let planning;
  try {
    planning = planImports(name, descriptors, layout?.imports, WASI_NAMES);
  } catch (error) {
    throw new E2rxError('E2RX_MODULE_NOT_RUNNABLE', errorMessage(error), { details: { fn: name } });
  }
  const names = new Set(exports.map((e) => e.name));
  const hosts = planning.plan.filter((b) => b.kind === 'host');
  const warnings = [...planning.warnings];
  if (!names.has('deallocate')) warnings.push(`module ${name} does not export deallocate; input buffers are not freed`);
  const limits = importedMemory?.kind === 'memory' ? importedMemory.limits : layout?.memories[0];
  const info: FunctionInfo = {
    name,
    size: wasm.length,
    exports: exports.map((e) => e.name),
    lifecycle: { initialize: names.has('_initialize'), start: names.has('_start'), init: names.has('init'), deallocate: names.has('deallocate') },
    hostImports: hosts.map((b) => b.name),
    asyncImports: hosts.filter((b) => hostFunctionSpec(b.host).async).map((b) => b.name),
    wasiImports: planning.plan.filter((b) => b.kind === 'wasi').map((b) => b.name),
    unknownImports: planning.unknown,
    memory: limits === undefined ? undefined : { initialPages: limits.min, maximumPages: Math.min(limits.max ?? maxPages, maxPages) },
    warnings,
    metered,
    ...(meteringError === undefined ? {} : { meteringError }),
  };
  const plan: ImportPlan = metered ? [...planning.plan, { module: METER_MODULE, name: 'deadline', kind: 'meter' }] : planning.plan;
  const debug = sourceMap === undefined ? undefined : debugInfo(wasm, capped, sourceMap, moved);
  return { info, module, plan, ...(debug === undefined ? {} : { debug }) };
}

/** The source map and how offsets moved between the module as built and as compiled; undefined for an odd module. */
function debugInfo(wasm: Uint8Array, capped: Uint8Array, sourceMap: string, moved: Uint32Array): GuestDebugInfo | undefined {
  try {
    // Capping the memory maximum resized the memory section, which comes before the code.
    return { sourceMap, moved, shift: capped.length - wasm.length, bodies: functionBodies(wasm) };
  } catch {
    return undefined;
  }
}

/**
 * Compiles the module with deadline checks; when the rewrite cannot handle it (or, defensively, when its output does
 * not compile), compiles it as it is. A module that does not compile at all is {@link E2rxError} `E2RX_MODULE_INVALID`.
 */
async function compileMetered(
  name: string,
  wasm: Uint8Array,
): Promise<{ module: WebAssembly.Module; metered: boolean; meteringError?: string; moved: Uint32Array }> {
  const unmoved = new Uint32Array(0);
  let instrumented: { bytes: Uint8Array; moved: Uint32Array };
  try {
    instrumented = instrumentDeadlines(wasm);
  } catch (error) {
    return { module: await compile(name, wasm), metered: false, meteringError: errorMessage(error), moved: unmoved };
  }
  try {
    return { module: await WebAssembly.compile(instrumented.bytes), metered: true, moved: instrumented.moved };
  } catch (error) {
    const module = await compile(name, wasm);
    return { module, metered: false, meteringError: `the instrumented module does not compile: ${errorMessage(error)}`, moved: unmoved };
  }
}
