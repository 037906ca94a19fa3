import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { leb, Reader } from '../../src/runtime/wasm-binary.js';
import { skipBlockType, skipImmediates, UnsupportedInstruction } from '../../src/runtime/wasm-instructions.js';
import { compileAssemblyScript, compileWat, compileWatSource, watOf } from '../support/wasm.js';
import { codeBodies, repositoryFile, repositoryWasm, textInstructionCounts, walkBody, watFixtures } from './support/modules.js';

/** The wabt features of every-immediate.wat. */
const EVERY_FEATURE = { simd: true, threads: true, exceptions: true, tail_call: true, reference_types: true, sat_float_to_int: true } as const;

/** Skips the immediates of `bytes[0]` and returns how many bytes the instruction took. */
function length(bytes: readonly number[]): number {
  const reader = new Reader(new Uint8Array([...bytes, 0x0b]));
  skipImmediates(reader, reader.byte());
  return reader.offset;
}

/** A signed LEB128 of `value` padded to `width` bytes (a valid, non-canonical encoding). */
function padded(value: number, width: number): number[] {
  const out: number[] = [];
  let rest = value;
  for (let i = 0; i < width; i += 1) {
    const b = rest & 0x7f;
    rest >>= 7;
    out.push(i === width - 1 ? b : b | 0x80);
  }
  return out;
}

/** Checks that every body of `bytes` walks to its exact end, instruction by instruction as wabt prints them. */
async function expectWalkMatchesWabt(bytes: Uint8Array, features: Readonly<Record<string, boolean>> = {}): Promise<number> {
  const expected = textInstructionCounts(await watOf(bytes, features));
  const bodies = codeBodies(bytes);
  expect(bodies.length).toBe(expected.length);
  let instructions = 0;
  bodies.forEach((body, i) => {
    const { opcodes, stoppedAt } = walkBody(bytes, body);
    expect(stoppedAt).toBe(body.end);
    expect(opcodes.at(-1)).toBe(0x0b);
    expect({ function: i, instructions: opcodes.length - 1 }).toEqual({ function: i, instructions: expected[i] });
    instructions += opcodes.length;
  });
  return instructions;
}

describe('wasm-instructions', () => {
  it('skipImmediates - walks every instruction group (numeric, memory, SIMD, atomics, exceptions, tail calls) as wabt reads it', async () => {
    const bytes = await compileWatSource(await readFile(new URL('../fixtures/wasm/every-immediate.wat', import.meta.url), 'utf8'), 'every-immediate', {
      features: EVERY_FEATURE,
    });
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(await expectWalkMatchesWabt(bytes, EVERY_FEATURE)).toBeGreaterThan(150);
  });

  it('skipImmediates - walks every body of every WAT fixture and every .wasm of the repository to its end', async () => {
    const modules: Array<[string, Uint8Array]> = [];
    for (const name of await watFixtures()) {
      if (name !== 'every-immediate') modules.push([`${name}.wat`, await compileWat(name)]);
    }
    modules.push(['as-runnable.ts', await compileAssemblyScript('as-runnable')]);
    for (const path of await repositoryWasm()) modules.push([path, await repositoryFile(path)]);
    expect(modules.map(([name]) => name)).toContain('specs/fixtures/rust/hello-rs.wasm');
    expect(modules.map(([name]) => name)).toContain('examples/hello/hello.wasm');
    let total = 0;
    for (const [name, bytes] of modules) {
      try {
        total += await expectWalkMatchesWabt(bytes, EVERY_FEATURE);
      } catch (error) {
        throw new Error(`${name}: ${String(error)}`, { cause: error });
      }
    }
    expect(total).toBeGreaterThan(20_000);
  }, 60_000);

  it('skipBlockType - reads the empty type, a value type and a type index of one or several bytes', () => {
    const after = (bytes: number[]): number => {
      const reader = new Reader(new Uint8Array([...bytes, 0xaa]));
      skipBlockType(reader);
      return reader.offset;
    };
    expect(after([0x40])).toBe(1);
    for (const type of [0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]) expect(after([type])).toBe(1);
    expect(after([0x05])).toBe(1);
    expect(after([0xc8, 0x01])).toBe(2); // type index 200
    expect(after([0x80, 0x80, 0x80, 0x80, 0x00])).toBe(5); // type index 0 padded to the 33-bit maximum
  });

  it('skipImmediates - reads memargs with large offsets, multi-memory indices and padded LEB128s', () => {
    expect(length([0x28, 0x02, ...leb(0xffff_ffff)])).toBe(7); // i32.load offset=4294967295: a 5-byte offset
    expect(length([0x36, 0x80, 0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x80, 0x00])).toBe(11); // padded align and offset
    expect(length([0x28, 0x42, 0x01, 0x10])).toBe(4); // align with bit 6: a memory index follows
    expect(length([0x3f, 0x00])).toBe(2); // memory.size
    expect(length([0x40, 0x00])).toBe(2); // memory.grow
  });

  it('skipImmediates - reads constants of every width', () => {
    expect(length([0x41, ...padded(-1, 5)])).toBe(6);
    expect(length([0x41, 0x7f])).toBe(2);
    expect(length([0x42, ...padded(-1, 10)])).toBe(11);
    expect(length([0x43, 0, 0, 0x80, 0x3f])).toBe(5);
    expect(length([0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f])).toBe(9);
  });

  it('skipImmediates - reads control instructions: br_table, select with types, call_indirect, try_table', () => {
    expect(length([0x0e, 0x03, 0, 1, 2, 0])).toBe(6);
    expect(length([0x0e, ...leb(200), ...Array.from({ length: 200 }, () => 0x01), 0x00])).toBe(204);
    expect(length([0x1c, 0x02, 0x7f, 0x7b])).toBe(4);
    expect(length([0x11, ...leb(300), 0x00])).toBe(4);
    expect(length([0x13, 0x01, 0x02])).toBe(3);
    expect(length([0x12, ...leb(70_000)])).toBe(4);
    // try_table (result i32) with catch, catch_ref, catch_all, catch_all_ref
    expect(length([0x1f, 0x7f, 0x04, 0x00, 0x01, 0x00, 0x01, 0x02, 0x01, 0x02, 0x03, 0x00, 0x03, 0x01])).toBe(14);
    for (const op of [0x00, 0x01, 0x05, 0x0a, 0x0b, 0x0f, 0x19, 0x1a, 0x1b, 0xd1]) expect(length([op])).toBe(1);
    for (const op of [0x07, 0x08, 0x09, 0x0c, 0x0d, 0x18, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xd2]) expect(length([op, 0x81, 0x01])).toBe(3);
    expect(length([0xd0, 0x70])).toBe(2);
  });

  it('skipImmediates - reads the 0xFC, 0xFD and 0xFE prefixes', () => {
    for (let op = 0; op <= 7; op += 1) expect(length([0xfc, op])).toBe(2);
    expect(length([0xfc, 0x08, 0x03, 0x00])).toBe(4); // memory.init
    expect(length([0xfc, 0x0a, 0x00, 0x00])).toBe(4); // memory.copy
    expect(length([0xfc, 0x0b, 0x00])).toBe(3); // memory.fill
    expect(length([0xfc, 0x0e, 0x01, 0x02])).toBe(4); // table.copy
    expect(length([0xfc, 0x11, 0x01])).toBe(3); // table.fill
    expect(length([0xfd, 0x0c, ...Array.from({ length: 16 }, () => 0xff)])).toBe(18); // v128.const
    expect(length([0xfd, 0x0d, ...Array.from({ length: 16 }, (_, i) => i)])).toBe(18); // i8x16.shuffle
    expect(length([0xfd, 0x15, 0x0f])).toBe(3); // i8x16.extract_lane_s
    expect(length([0xfd, 0x54, 0x00, 0x10, 0x07])).toBe(5); // v128.load8_lane
    expect(length([0xfd, 0x5d, 0x03, 0x00])).toBe(4); // v128.load64_zero
    expect(length([0xfd, 0xba, 0x01])).toBe(3); // i32x4.dot_i16x8_s (a two-byte sub-opcode)
    expect(length([0xfd, 0x80, 0x02])).toBe(3); // relaxed SIMD 0x100
    expect(length([0xfe, 0x03, 0x00])).toBe(3); // atomic.fence
    expect(length([0xfe, 0x01, 0x02, 0x08])).toBe(4); // memory.atomic.wait32
    expect(length([0xfe, 0x4e, 0x03, 0x10])).toBe(4); // i64.atomic.rmw32.cmpxchg_u
  });

  it('skipImmediates - refuses garbage-collection, typed-reference and unknown instructions', () => {
    const refused = [
      [0xfb, 0x00], // struct.new
      [0xfb, 0x20], // i31.new (V8 11's pre-final encoding)
      [0x14, 0x00], // call_ref
      [0x15, 0x00], // return_call_ref
      [0xd3], // ref.as_non_null
      [0xd4, 0x00], // br_on_null
      [0xd5], // ref.eq
      [0xd6, 0x00], // br_on_non_null
      [0x27], // reserved
      [0xc5], // reserved
      [0xfc, 0x12], // past table.fill
      [0xfd, 0x94, 0x02], // past relaxed SIMD
      [0xfe, 0x04], // reserved atomic
      [0xfe, 0x4f, 0x00, 0x00], // past the last atomic
    ];
    for (const bytes of refused) expect(() => length(bytes), bytes.map((b) => b.toString(16)).join(' ')).toThrow(UnsupportedInstruction);
  });
});

