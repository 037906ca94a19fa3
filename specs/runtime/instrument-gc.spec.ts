/**
 * A module with a garbage-collection instruction, which the deadline rewrite does not decode: it must run as it is.
 * Node 20's V8 (11.3) compiles GC instructions only behind `--experimental-wasm-gc` (in its pre-final encoding,
 * `i31.new` = 0xFB 0x20); the flag is process-wide, so this spec sets it in its own file, before any Wasm is compiled
 * here, and skips (saying why) when V8 does not take it.
 */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/directive/capability-config.js';
import { instrumentDeadlines, NotInstrumentable } from '../../src/runtime/instrument.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { compileWatSource } from '../support/wasm.js';
import { captureLogger, FakeServices, makeRequest, text } from './support/driver.js';

setFlagsFromString('--experimental-wasm-gc');

/** i32.const 5; i31.new; i31.get_s: the smallest GC sequence, valid in V8 11.3 with the flag. */
const I31_PROBE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 10, 10, 1, 8, 0, 0x41, 5, 0xfb, 0x20, 0xfb, 0x21, 0x0b]);
const gcAvailable = WebAssembly.validate(I31_PROBE);

/**
 * A Runnable whose `$boxed` function holds `i32.const 41` and four `nop`s; the nops are then overwritten, byte for
 * byte, with `i31.new; i31.get_s` (same length, so no size changes): run_e answers "42" through a GC instruction.
 */
async function gcRunnable(): Promise<Uint8Array> {
  const bytes = await compileWatSource(`(module
    (import "env" "return_result" (func $return_result (param i32 i32 i32)))
    (memory (export "memory") 1)
    (func $boxed (result i32) (i32.const 41) nop nop nop nop)
    (func (export "allocate") (param i32) (result i32) (i32.const 1024))
    (func (export "deallocate") (param i32 i32))
    (func (export "run_e") (param i32 i32 i32)
      (local $n i32)
      (local.set $n (i32.add (call $boxed) (i32.const 1)))
      (i32.store8 (i32.const 16) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 10))))
      (i32.store8 (i32.const 17) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (call $return_result (i32.const 16) (i32.const 2) (local.get 2))))`);
  const pattern = [0x41, 41, 0x01, 0x01, 0x01, 0x01];
  const at = bytes.findIndex((_, i) => pattern.every((b, j) => bytes[i + j] === b));
  if (at < 0) throw new Error('the nop pattern is not in the binary');
  bytes.set([0xfb, 0x20, 0xfb, 0x21], at + 2);
  return bytes;
}

describe('instrument - garbage collection', () => {
  it.skipIf(!gcAvailable)('prepareModule - a module with a GC instruction is not instrumented and runs as it is, inline and on a worker', async () => {
    const bytes = await gcRunnable();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(() => instrumentDeadlines(bytes)).toThrow(new NotInstrumentable('unknown instruction 0xfb'));

    const inline = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger: captureLogger().logger, inline: true });
    expect(await inline.register('boxed', bytes)).toMatchObject({ metered: false, meteringError: 'unknown instruction 0xfb' });
    const here = await inline.invoke('boxed', makeRequest());
    expect(here.kind === 'output' && text(here.output)).toBe('42');
    await inline.close();

    const auto = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger: captureLogger().logger, workers: 1 });
    await auto.register('boxed', bytes);
    expect(auto.stats().functions['boxed']).toMatchObject({ lane: 'workers', placement: 'its module cannot be instrumented with deadline checks (unknown instruction 0xfb)' });
    const there = await auto.invoke('boxed', makeRequest());
    expect(there.kind === 'output' && text(there.output)).toBe('42');
    await auto.close();
  });

  it('instrumentDeadlines - refuses a GC instruction whether or not V8 would compile it', async () => {
    const bytes = await gcRunnable();
    expect(() => instrumentDeadlines(bytes)).toThrow(NotInstrumentable);
    expect(() => instrumentDeadlines(I31_PROBE)).toThrow(new NotInstrumentable('unknown instruction 0xfb'));
  });
});
