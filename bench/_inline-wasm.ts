/**
 * A helper of the benchmarks (not a benchmark: its name starts with `_`): an Atmo-ABI Wasm function called directly
 * on the calling thread, as the hand-written baselines do. `new WebAssembly.Instance` with a tiny host implementing
 * `return_result`, `return_error` and `return_abort`; each call allocates the input in the guest, copies it in,
 * calls `run_e`, and copies the result out.
 *
 * @example
 * ```ts
 * const echo = inlineFunction(await functionWasm('stream-echo'));
 * echo(new TextEncoder().encode('hi')); // Uint8Array [104, 105]
 * ```
 */
export function inlineFunction(bytes: Uint8Array): (input: Uint8Array) => Uint8Array {
  const decoder = new TextDecoder();
  let output: Uint8Array | undefined;
  let failure: string | undefined;
  // Called only from run_e, after `memory` below is initialised.
  const view = (ptr: number, size: number): Uint8Array => new Uint8Array(memory.buffer, ptr, size);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: {
      return_result: (ptr: number, size: number) => void (output = view(ptr, size).slice()),
      return_error: (code: number, ptr: number, size: number) => void (failure = `${code}: ${decoder.decode(view(ptr, size))}`),
      return_abort: (msgPtr: number, msgSize: number) => void (failure = `abort: ${decoder.decode(view(msgPtr, msgSize))}`),
    },
  });
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const allocate = instance.exports['allocate'] as (size: number) => number;
  const deallocate = instance.exports['deallocate'] as (ptr: number, size: number) => void;
  const runE = instance.exports['run_e'] as (ptr: number, size: number, ident: number) => void;
  return (input) => {
    output = undefined;
    failure = undefined;
    const ptr = allocate(input.length);
    view(ptr, input.length).set(input);
    runE(ptr, input.length, 1);
    deallocate(ptr, input.length);
    if (failure !== undefined) throw new Error(failure);
    return output ?? new Uint8Array(0);
  };
}
