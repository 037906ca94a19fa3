/**
 * The immediates of WebAssembly instructions: enough of the binary format to walk a function body instruction by
 * instruction without understanding what each does. Covers the core 2.0 instruction set (numeric, reference,
 * parametric, variable, table, memory, control, vector and bulk-memory instructions), tail calls, threads (atomic
 * memory instructions), legacy and new exception handling, multi-memory and relaxed SIMD. Garbage-collection and
 * typed-function-reference instructions are not decoded: a body that uses them makes the walk fail with
 * {@link UnsupportedInstruction}, and the caller keeps the module as it was.
 *
 * @module
 */
import type { Reader } from './wasm-binary.js';

/** Thrown when a body uses an instruction this walker does not decode. */
export class UnsupportedInstruction extends Error {
  override readonly name = 'UnsupportedInstruction';
}

/** Opcodes the instrumentation looks at. */
export const OPCODE = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  call: 0x10,
  callIndirect: 0x11,
  returnCall: 0x12,
  returnCallIndirect: 0x13,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32Sub: 0x6b,
  refFunc: 0xd2,
} as const;

/** Skips a signed LEB128 integer of any width. */
function skipSigned(reader: Reader): void {
  while ((reader.byte() & 0x80) !== 0) {
    // continuation bytes
  }
}

/** Skips a block type: the empty type (0x40), a value type (one byte) or a type index (s33). */
export function skipBlockType(reader: Reader): void {
  const first = reader.byte();
  if (first === 0x40 || (first >= 0x6f && first <= 0x7f)) return;
  // A type index as a signed 33-bit LEB128: the first byte is already read.
  if ((first & 0x80) !== 0) skipSigned(reader);
}

/** Skips a memarg: alignment (with bit 6 meaning a memory index follows, multi-memory), then the offset. */
function skipMemarg(reader: Reader): void {
  const align = reader.u32();
  if ((align & 0x40) !== 0) reader.u32();
  reader.u32();
}

function skipHeapType(reader: Reader): void {
  skipSigned(reader);
}

/** SIMD (0xFD) sub-opcodes with a memarg. */
function simdHasMemarg(op: number): boolean {
  return op <= 0x0b || op === 0x5c || op === 0x5d;
}

function skipSimd(reader: Reader): void {
  const op = reader.u32();
  if (simdHasMemarg(op)) skipMemarg(reader);
  else if (op === 0x0c || op === 0x0d) reader.offset += 16;
  else if (op >= 0x15 && op <= 0x22) reader.byte();
  else if (op >= 0x54 && op <= 0x5b) {
    skipMemarg(reader);
    reader.byte();
  } else if (op > 0x113) throw new UnsupportedInstruction(`unknown vector instruction 0xfd ${op}`);
}

function skipMisc(reader: Reader): void {
  const op = reader.u32();
  if (op <= 7) return;
  switch (op) {
    case 8: // memory.init dataidx memidx
    case 10: // memory.copy mem mem
    case 12: // table.init elemidx tableidx
    case 14: // table.copy table table
      reader.u32();
      reader.u32();
      return;
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      reader.u32();
      return;
    default:
      throw new UnsupportedInstruction(`unknown instruction 0xfc ${op}`);
  }
}

function skipAtomic(reader: Reader): void {
  const op = reader.u32();
  if (op === 0x03) {
    reader.byte(); // atomic.fence: a reserved zero byte
    return;
  }
  if (op <= 0x02 || (op >= 0x10 && op <= 0x4e)) {
    skipMemarg(reader);
    return;
  }
  throw new UnsupportedInstruction(`unknown atomic instruction 0xfe ${op}`);
}

/**
 * Advances `reader` past the immediates of the instruction whose opcode byte was just read. Function-index
 * immediates (`call`, `return_call`, `ref.func`) and `loop`'s block type are skipped too: callers that rewrite them
 * handle those opcodes before calling this. Throws {@link UnsupportedInstruction} for an opcode it does not know.
 */
export function skipImmediates(reader: Reader, opcode: number): void {
  if (opcode <= 0x01 || opcode === 0x05 || opcode === 0x0a || opcode === 0x0b || opcode === 0x0f || opcode === 0x19) return;
  if (opcode >= 0x02 && opcode <= 0x04) return skipBlockType(reader);
  if (opcode === 0x06) return skipBlockType(reader); // try (legacy exceptions)
  if (opcode === 0x1f) {
    // try_table: block type, then catch clauses (kind, [tag], label)
    skipBlockType(reader);
    const count = reader.u32();
    for (let i = 0; i < count; i += 1) {
      const kind = reader.byte();
      if (kind === 0x00 || kind === 0x01) reader.u32();
      reader.u32();
    }
    return;
  }
  if (opcode === 0x07 || opcode === 0x08 || opcode === 0x09 || opcode === 0x18) return void reader.u32(); // catch, throw, rethrow, delegate
  if (opcode === 0x0c || opcode === 0x0d) return void reader.u32(); // br, br_if
  if (opcode === 0x0e) {
    const count = reader.u32();
    for (let i = 0; i <= count; i += 1) reader.u32();
    return;
  }
  if (opcode === 0x10 || opcode === 0x12) return void reader.u32();
  if (opcode === 0x11 || opcode === 0x13) {
    reader.u32();
    reader.u32();
    return;
  }
  if (opcode === 0x1a || opcode === 0x1b) return;
  if (opcode === 0x1c) {
    const count = reader.u32();
    for (let i = 0; i < count; i += 1) reader.byte();
    return;
  }
  if (opcode >= 0x20 && opcode <= 0x26) return void reader.u32();
  if (opcode >= 0x28 && opcode <= 0x3e) return skipMemarg(reader);
  if (opcode === 0x3f || opcode === 0x40) return void reader.u32();
  if (opcode === 0x41 || opcode === 0x42) return skipSigned(reader);
  if (opcode === 0x43) {
    reader.offset += 4;
    return;
  }
  if (opcode === 0x44) {
    reader.offset += 8;
    return;
  }
  if (opcode >= 0x45 && opcode <= 0xc4) return;
  if (opcode === 0xd0) return skipHeapType(reader); // ref.null
  if (opcode === 0xd1) return; // ref.is_null
  if (opcode === 0xd2) return void reader.u32(); // ref.func
  if (opcode === 0xfc) return skipMisc(reader);
  if (opcode === 0xfd) return skipSimd(reader);
  if (opcode === 0xfe) return skipAtomic(reader);
  throw new UnsupportedInstruction(`unknown instruction 0x${opcode.toString(16)}`);
}
