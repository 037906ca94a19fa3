/**
 * Renumbering function indices outside the code section: a new function import shifts every defined function by one,
 * so every place that names a function (constant expressions with `ref.func`, element segments, table initialisers,
 * the `name` section) is rewritten with a `remap` from old to new index.
 *
 * @module
 */
import { NotInstrumentable } from './not-instrumentable.js';
import { Reader, type Section } from './wasm-binary.js';
import { OPCODE, skipImmediates } from './wasm-instructions.js';
import { Writer } from './wasm-writer.js';

/** Copies a constant expression up to and including its `end`, renumbering `ref.func`. */
export function copyConstExpr(reader: Reader, out: Writer, remap: (index: number) => number): void {
  for (;;) {
    const start = reader.offset;
    const opcode = reader.byte();
    if (opcode === OPCODE.refFunc) {
      out.byte(opcode);
      out.u32(remap(reader.u32()));
      continue;
    }
    skipImmediates(reader, opcode);
    out.bytes(reader.bytes, start, reader.offset);
    if (opcode === OPCODE.end) return;
  }
}

/** Copies a vector of function indices, renumbered. */
function copyFunctionIndices(reader: Reader, out: Writer, remap: (index: number) => number): void {
  const count = reader.u32();
  out.u32(count);
  for (let i = 0; i < count; i += 1) out.u32(remap(reader.u32()));
}

function copyExprVector(reader: Reader, out: Writer, remap: (index: number) => number): void {
  const count = reader.u32();
  out.u32(count);
  for (let i = 0; i < count; i += 1) copyConstExpr(reader, out, remap);
}

function copyReferenceType(reader: Reader, out: Writer): void {
  const type = reader.byte();
  if (type !== 0x70 && type !== 0x6f) throw new NotInstrumentable(`unsupported reference type 0x${type.toString(16)}`);
  out.byte(type);
}

/** The element section, its function indices renumbered (all eight segment forms). */
export function rewriteElements(reader: Reader, remap: (index: number) => number): Writer {
  const out = new Writer();
  const count = reader.u32();
  out.u32(count);
  for (let i = 0; i < count; i += 1) {
    const flags = reader.u32();
    out.u32(flags);
    switch (flags) {
      case 0:
        copyConstExpr(reader, out, remap);
        copyFunctionIndices(reader, out, remap);
        break;
      case 1:
      case 3:
        out.byte(reader.byte()); // elemkind
        copyFunctionIndices(reader, out, remap);
        break;
      case 2:
        out.u32(reader.u32()); // table
        copyConstExpr(reader, out, remap);
        out.byte(reader.byte());
        copyFunctionIndices(reader, out, remap);
        break;
      case 4:
        copyConstExpr(reader, out, remap);
        copyExprVector(reader, out, remap);
        break;
      case 5:
      case 7:
        copyReferenceType(reader, out);
        copyExprVector(reader, out, remap);
        break;
      case 6:
        out.u32(reader.u32());
        copyConstExpr(reader, out, remap);
        copyReferenceType(reader, out);
        copyExprVector(reader, out, remap);
        break;
      default:
        throw new NotInstrumentable(`unknown element segment flags ${flags}`);
    }
  }
  return out;
}

/** The table section, the initialiser expressions of its tables renumbered. */
export function rewriteTables(reader: Reader, remap: (index: number) => number): Writer {
  const out = new Writer();
  const count = reader.u32();
  out.u32(count);
  for (let i = 0; i < count; i += 1) {
    const first = reader.offset;
    if (reader.bytes[first] === 0x40 && reader.bytes[first + 1] === 0x00) {
      // A table with an initialiser: 0x40 0x00 tabletype expr.
      reader.offset += 2;
      out.bytes([0x40, 0x00]);
      copyReferenceType(reader, out);
      const limitsStart = reader.offset;
      reader.limits();
      out.bytes(reader.bytes, limitsStart, reader.offset);
      copyConstExpr(reader, out, remap);
    } else {
      copyReferenceType(reader, out);
      const limitsStart = reader.offset;
      reader.limits();
      out.bytes(reader.bytes, limitsStart, reader.offset);
    }
  }
  return out;
}

/** Renumbers the function-indexed subsections of the `name` section (function, local and label names). */
export function rewriteNames(reader: Reader, remap: (index: number) => number): Writer {
  const out = new Writer();
  out.name('name');
  while (reader.offset < reader.end) {
    const id = reader.byte();
    const size = reader.u32();
    const start = reader.offset;
    const end = start + size;
    const sub = new Writer();
    const inner = new Reader(reader.bytes, start, end);
    if (id === 1) {
      const count = inner.u32();
      sub.u32(count);
      for (let i = 0; i < count; i += 1) {
        sub.u32(remap(inner.u32()));
        const nameStart = inner.offset;
        inner.name();
        sub.bytes(reader.bytes, nameStart, inner.offset);
      }
    } else if (id === 2 || id === 3) {
      const count = inner.u32();
      sub.u32(count);
      for (let i = 0; i < count; i += 1) {
        sub.u32(remap(inner.u32()));
        const mapStart = inner.offset;
        const entries = inner.u32();
        for (let j = 0; j < entries; j += 1) {
          inner.u32();
          inner.name();
        }
        sub.bytes(reader.bytes, mapStart, inner.offset);
      }
    } else {
      sub.bytes(reader.bytes, start, end);
    }
    out.byte(id);
    out.u32(sub.length);
    out.bytes(sub.result());
    reader.offset = end;
  }
  return out;
}

/** The name of a custom section, and a reader left at its contents. */
export function customName(bytes: Uint8Array, section: Section): { name: string; reader: Reader } {
  const reader = new Reader(bytes, section.payload, section.end);
  const name = reader.name();
  return { name, reader };
}
