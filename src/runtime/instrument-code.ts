/**
 * The code section's rewrite for the deadline instrumentation: the check sequence inserted at loop headers and at the
 * entry of functions that make a call, function indices renumbered, and the map from new code offsets to old ones.
 *
 * @module
 */
import { NotInstrumentable } from './not-instrumentable.js';
import { leb, Reader } from './wasm-binary.js';
import { OPCODE, skipBlockType, skipImmediates } from './wasm-instructions.js';
import { Writer } from './wasm-writer.js';

/**
 * The offset in the module before instrumentation of the code at `offset` in the instrumented one (`moved` from
 * `Instrumented`); offsets inside an inserted check give the instruction the check follows.
 */
export function originalOffset(moved: Uint32Array, offset: number): number {
  let low = 0;
  let high = moved.length / 2 - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((moved[middle * 2] as number) <= offset) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (found < 0) return offset;
  return Math.max(0, (moved[found * 2 + 1] as number) + offset - (moved[found * 2] as number));
}

/** Adds `base` to the new offsets of the pairs of `moved` from pair index `from` on. */
export function shiftMoved(moved: number[], from: number, base: number): void {
  for (let i = from; i < moved.length; i += 2) moved[i] = (moved[i] as number) + base;
}

/** The check sequence: `if (fuel < 1) check(); fuel -= 1` (signed). */
export function checkSequence(fuel: number, check: number): number[] {
  return [
    OPCODE.globalGet,
    ...leb(fuel),
    OPCODE.i32Const,
    0x01,
    OPCODE.i32LtS,
    OPCODE.if,
    0x40,
    OPCODE.call,
    ...leb(check),
    OPCODE.end,
    OPCODE.globalGet,
    ...leb(fuel),
    OPCODE.i32Const,
    0x01,
    OPCODE.i32Sub,
    OPCODE.globalSet,
    ...leb(fuel),
  ];
}

/** The checks inserted so far. */
export interface CodeStats {
  loopChecks: number;
  entryChecks: number;
}

function rewriteBody(
  bytes: Uint8Array,
  start: number,
  end: number,
  remap: (index: number) => number,
  check: readonly number[],
  stats: CodeStats,
  moved: number[],
): Writer {
  const reader = new Reader(bytes, start, end);
  const out = new Writer();
  const locals = reader.u32();
  for (let i = 0; i < locals; i += 1) {
    reader.u32();
    const type = reader.byte();
    if (type === 0x63 || type === 0x64) throw new NotInstrumentable('typed references in locals are not supported');
  }
  out.bytes(bytes, start, reader.offset);
  const body = new Writer();
  const first = moved.length;
  moved.push(0, reader.offset);
  let needsEntryCheck = false;
  while (reader.offset < end) {
    const at = reader.offset;
    const opcode = reader.byte();
    switch (opcode) {
      case OPCODE.loop:
        skipBlockType(reader);
        body.bytes(bytes, at, reader.offset);
        body.bytes(check);
        moved.push(body.length, reader.offset);
        stats.loopChecks += 1;
        break;
      case OPCODE.call:
      case OPCODE.returnCall:
      case OPCODE.refFunc:
        body.byte(opcode);
        body.u32(remap(reader.u32()));
        if (body.length - reader.offset !== (moved[moved.length - 2] as number) - (moved[moved.length - 1] as number)) {
          moved.push(body.length, reader.offset);
        }
        if (opcode !== OPCODE.refFunc) needsEntryCheck = true;
        break;
      case OPCODE.callIndirect:
      case OPCODE.returnCallIndirect:
        skipImmediates(reader, opcode);
        body.bytes(bytes, at, reader.offset);
        needsEntryCheck = true;
        break;
      default:
        skipImmediates(reader, opcode);
        body.bytes(bytes, at, reader.offset);
    }
  }
  if (reader.offset !== end) throw new NotInstrumentable('a function body runs past its declared size');
  if (needsEntryCheck) {
    out.bytes(check);
    stats.entryChecks += 1;
  }
  shiftMoved(moved, first, out.length);
  out.bytes(body.result());
  return out;
}

/**
 * The code section with checks, its calls and `ref.func` renumbered; pushes the offset pairs of `moved` (relative to
 * the section's payload) and counts the checks in `stats`.
 */
export function rewriteCode(
  reader: Reader,
  remap: (index: number) => number,
  check: readonly number[],
  stats: CodeStats,
  moved: number[],
): { out: Writer; functions: number } {
  const out = new Writer();
  const count = reader.u32();
  out.u32(count);
  for (let i = 0; i < count; i += 1) {
    const size = reader.u32();
    const start = reader.offset;
    reader.offset += size;
    if (reader.offset > reader.end) throw new NotInstrumentable('a function body runs past the code section');
    const first = moved.length;
    const body = rewriteBody(reader.bytes, start, reader.offset, remap, check, stats, moved);
    out.u32(body.length);
    shiftMoved(moved, first, out.length);
    out.bytes(body.result());
  }
  return { out, functions: count };
}
