/**
 * Checking a .wasm file: is it WebAssembly, and is it a Runnable (exports `memory`, `allocate` and `run_e`)?
 *
 * @module
 */
import { E2rxError } from '../errors.js';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** The exports a module needs to be a Runnable (docs/reference/host-abi.md §2). */
export const RUNNABLE_EXPORTS = ['memory', 'allocate', 'run_e'] as const;

/** A compiled module and what it exports. */
export interface ModuleCheck {
  readonly module: WebAssembly.Module;
  /** Whether it exports the Runnable ABI. */
  readonly isRunnable: boolean;
  /** The Runnable exports it lacks. */
  readonly missingExports: readonly string[];
}

/**
 * Compiles `bytes` (named `file` in errors) and checks its exports.
 *
 * @throws {@link E2rxError} `E2RX_MODULE_INVALID` when the bytes are not a valid WebAssembly module.
 */
export async function checkModule(bytes: Uint8Array, file: string): Promise<ModuleCheck> {
  if (bytes.length < 8 || WASM_MAGIC.some((byte, index) => bytes[index] !== byte)) {
    throw new E2rxError('E2RX_MODULE_INVALID', `${file} is not a WebAssembly module (it does not start with the \\0asm magic number)`);
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (error) {
    throw new E2rxError('E2RX_MODULE_INVALID', `${file} is not a valid WebAssembly module: ${(error as Error).message}`, { cause: error });
  }
  const exported = new Set(WebAssembly.Module.exports(module).map((entry) => entry.name));
  const missingExports = RUNNABLE_EXPORTS.filter((name) => !exported.has(name));
  return { module, isRunnable: missingExports.length === 0, missingExports };
}
