/**
 * Deadline instrumentation: rewrites a module so that it checks the time while it runs, and so can be stopped at a
 * deadline on any thread without terminating that thread (docs/decisions/0007-function-placement.md).
 *
 * The rewrite adds
 * - a mutable i32 global, the *fuel*, exported as {@link FUEL_EXPORT};
 * - a function import {@link METER_MODULE}.{@link METER_IMPORT} `() -> ()`, the *check*;
 * - at every `loop` header, and at the entry of every function that makes a call, the sequence
 *   `if (fuel <= 0) check(); fuel -= 1` (signed: a check that could not refill, as during the start function, before
 *   the host holds the instance's fuel, leaves the fuel below zero, and the next check calls the host again instead of
 *   the fuel wrapping round to 2^32 - 1 checks away).
 *
 * Between two checks a guest runs a bounded number of instructions: a loop passes a check on every iteration, and a
 * recursion (direct, mutual or through tail calls) enters a function that makes a call on every step. A function that
 * makes no call runs its body once per entry, bounded by its loops' checks, so its entry is left alone. The host sets the fuel before a
 * call; when it runs out the check reads the clock and either refills it or throws, which unwinds the guest like a
 * trap. The module's own semantics are unchanged: its exports, imports (the new one is appended), memories, tables
 * and data are as they were; function indices of defined functions shift by one (the new import comes first), and
 * every place that names a function (calls, `ref.func`, exports, the start function, element segments, the name
 * section) is renumbered.
 *
 * @module
 */
import { leb, Reader, SECTION, sections, type Section } from './wasm-binary.js';
import { OPCODE, skipBlockType, skipImmediates, UnsupportedInstruction } from './wasm-instructions.js';

/** The import module of the check. */
export const METER_MODULE = '__e2rx';
/** The import name of the check. */
export const METER_IMPORT = 'deadline';
/** The export name of the fuel global. */
export const FUEL_EXPORT = '__e2rx_fuel';

/** What the rewrite did. */
export interface Instrumented {
  readonly bytes: Uint8Array;
  /** Functions defined by the module. */
  readonly functions: number;
  /** Checks inserted at loop headers. */
  readonly loopChecks: number;
  /** Checks inserted at function entries. */
  readonly entryChecks: number;
  /**
   * Where the code moved: pairs `[new offset, old offset]`, by new offset, one wherever the distance between the two
   * changes. Code at new offset `x` was at `old + (x - new)` of the last pair with `new <= x` (see {@link originalOffset}).
   */
  readonly moved: Uint32Array;
}

/**
 * The offset in the module before instrumentation of the code at `offset` in the instrumented one (`moved` from
 * {@link Instrumented}); offsets inside an inserted check give the instruction the check follows.
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
function shiftMoved(moved: number[], from: number, base: number): void {
  for (let i = from; i < moved.length; i += 2) moved[i] = (moved[i] as number) + base;
}

/** Why a module was left as it was. */
export class NotInstrumentable extends Error {
  override readonly name = 'NotInstrumentable';
}

/** A growable byte buffer. */
class Writer {
  #bytes = new Uint8Array(1024);
  length = 0;

  #reserve(extra: number): void {
    if (this.length + extra <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.length));
    this.#bytes = grown;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.length++] = value;
  }

  u32(value: number): void {
    for (const b of leb(value)) this.byte(b);
  }

  bytes(source: Uint8Array | readonly number[], start = 0, end = source.length): void {
    const count = end - start;
    this.#reserve(count);
    if (source instanceof Uint8Array) this.#bytes.set(source.subarray(start, end), this.length);
    else for (let i = start; i < end; i += 1) this.#bytes[this.length + i - start] = source[i] as number;
    this.length += count;
  }

  name(text: string): void {
    const encoded = new TextEncoder().encode(text);
    this.u32(encoded.length);
    this.bytes(encoded);
  }

  /** Appends another writer's bytes as a vector payload of a section: id, size, payload. */
  section(id: number, payload: Writer): void {
    this.byte(id);
    this.u32(payload.length);
    this.bytes(payload.result());
  }

  result(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }
}

/** The order of the non-custom sections in a binary; a new section goes before the first one that follows it. */
const SECTION_ORDER: readonly number[] = [
  SECTION.type,
  SECTION.import,
  SECTION.function,
  SECTION.table,
  SECTION.memory,
  SECTION.tag,
  SECTION.global,
  SECTION.export,
  SECTION.start,
  SECTION.element,
  SECTION.dataCount,
  SECTION.code,
  SECTION.data,
];

interface Layout {
  readonly importedFunctions: number;
  readonly importedGlobals: number;
  readonly definedGlobals: number;
  readonly types: number;
}

function countImports(bytes: Uint8Array, section: Section | undefined): { functions: number; globals: number } {
  let functions = 0;
  let globals = 0;
  if (section === undefined) return { functions, globals };
  const reader = new Reader(bytes, section.payload, section.end);
  const count = reader.u32();
  for (let i = 0; i < count; i += 1) {
    const module = reader.name();
    const name = reader.name();
    if (module === METER_MODULE) throw new NotInstrumentable(`the module already imports ${module}.${name}`);
    const kind = reader.byte();
    if (kind === 0) {
      reader.u32();
      functions += 1;
    } else if (kind === 1) {
      reader.byte();
      reader.limits();
    } else if (kind === 2) reader.limits();
    else if (kind === 3) {
      reader.byte();
      reader.byte();
      globals += 1;
    } else if (kind === 4) {
      reader.byte();
      reader.u32();
    } else throw new NotInstrumentable(`unknown import kind ${kind}`);
  }
  return { functions, globals };
}

function vectorCount(bytes: Uint8Array, section: Section | undefined): number {
  return section === undefined ? 0 : new Reader(bytes, section.payload, section.end).u32();
}

/** The check sequence: `if (fuel < 1) check(); fuel -= 1` (signed). */
function checkSequence(fuel: number, check: number): number[] {
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

/** Copies a constant expression up to and including its `end`, renumbering `ref.func`. */
function copyConstExpr(reader: Reader, out: Writer, remap: (index: number) => number): void {
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

function rewriteElements(reader: Reader, remap: (index: number) => number): Writer {
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

function rewriteGlobals(reader: Reader, remap: (index: number) => number, fuel: boolean): Writer {
  const out = new Writer();
  const count = reader.u32();
  out.u32(count + (fuel ? 1 : 0));
  for (let i = 0; i < count; i += 1) {
    const type = reader.byte();
    if (type === 0x63 || type === 0x64) throw new NotInstrumentable('typed references in globals are not supported');
    out.byte(type);
    out.byte(reader.byte()); // mutability
    copyConstExpr(reader, out, remap);
  }
  if (fuel) out.bytes([0x7f, 0x01, OPCODE.i32Const, 0x00, OPCODE.end]);
  return out;
}

function rewriteTables(reader: Reader, remap: (index: number) => number): Writer {
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

function rewriteExports(reader: Reader, remap: (index: number) => number, fuelIndex: number): Writer {
  const out = new Writer();
  const count = reader.u32();
  out.u32(count + 1);
  for (let i = 0; i < count; i += 1) {
    const name = reader.name();
    if (name === FUEL_EXPORT) throw new NotInstrumentable(`the module already exports ${FUEL_EXPORT}`);
    const kind = reader.byte();
    const index = reader.u32();
    out.name(name);
    out.byte(kind);
    out.u32(kind === 0 ? remap(index) : index);
  }
  out.name(FUEL_EXPORT);
  out.byte(3);
  out.u32(fuelIndex);
  return out;
}

interface CodeStats {
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

function rewriteCode(
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

/** Renumbers the function-indexed subsections of the `name` section (function, local and label names). */
function rewriteNames(reader: Reader, remap: (index: number) => number): Writer {
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

function customName(bytes: Uint8Array, section: Section): { name: string; reader: Reader } {
  const reader = new Reader(bytes, section.payload, section.end);
  const name = reader.name();
  return { name, reader };
}

/**
 * Returns the module with deadline checks (see the module comment). Throws {@link NotInstrumentable} when the module
 * uses something the rewrite does not handle (garbage-collection types, an unknown instruction); the caller then runs
 * the module as it is.
 *
 * @example
 * ```ts
 * const { bytes: metered } = instrumentDeadlines(wasm);
 * const instance = new WebAssembly.Instance(new WebAssembly.Module(metered), { ...imports, [METER_MODULE]: { [METER_IMPORT]: check } });
 * ```
 */
export function instrumentDeadlines(bytes: Uint8Array): Instrumented {
  try {
    return rewrite(bytes);
  } catch (error) {
    if (error instanceof NotInstrumentable) throw error;
    if (error instanceof UnsupportedInstruction) throw new NotInstrumentable(error.message);
    throw new NotInstrumentable(error instanceof Error ? error.message : String(error));
  }
}

function rewrite(bytes: Uint8Array): Instrumented {
  const all = sections(bytes);
  const find = (id: number): Section | undefined => all.find((s) => s.id === id);
  const imports = countImports(bytes, find(SECTION.import));
  const layout: Layout = {
    importedFunctions: imports.functions,
    importedGlobals: imports.globals,
    definedGlobals: vectorCount(bytes, find(SECTION.global)),
    types: vectorCount(bytes, find(SECTION.type)),
  };
  const checkIndex = layout.importedFunctions;
  const fuelIndex = layout.importedGlobals + layout.definedGlobals;
  const remap = (index: number): number => (index < checkIndex ? index : index + 1);
  const check = checkSequence(fuelIndex, checkIndex);
  const stats: CodeStats = { loopChecks: 0, entryChecks: 0 };
  let functions = 0;
  const moved: number[] = [];

  const out = new Writer();
  out.bytes(bytes, 0, 8);
  const emitted = new Set<number>();
  /** Writes the sections this rewrite creates when the module lacks them, before the section `next`. */
  const createMissing = (next: number): void => {
    for (const id of SECTION_ORDER) {
      if (id === next) return;
      if (emitted.has(id) || find(id) !== undefined) continue;
      emitted.add(id);
      const payload = new Writer();
      if (id === SECTION.type) payload.bytes([1, 0x60, 0, 0]);
      else if (id === SECTION.import) {
        payload.u32(1);
        writeMeterImport(payload, layout.types);
      } else if (id === SECTION.global) payload.bytes(rewriteGlobals(new Reader(new Uint8Array([0])), remap, true).result());
      else if (id === SECTION.export) payload.bytes(rewriteExports(new Reader(new Uint8Array([0])), remap, fuelIndex).result());
      else continue;
      out.section(id, payload);
    }
  };

  for (const section of all) {
    if (section.id !== SECTION.custom) createMissing(section.id);
    const reader = new Reader(bytes, section.payload, section.end);
    let payload: Writer | undefined;
    switch (section.id) {
      case SECTION.type: {
        payload = new Writer();
        payload.u32(layout.types + 1);
        reader.u32();
        payload.bytes(bytes, reader.offset, section.end);
        payload.bytes([0x60, 0, 0]);
        break;
      }
      case SECTION.import: {
        payload = new Writer();
        payload.u32(reader.u32() + 1);
        payload.bytes(bytes, reader.offset, section.end);
        writeMeterImport(payload, layout.types);
        break;
      }
      case SECTION.table:
        payload = rewriteTables(reader, remap);
        break;
      case SECTION.global:
        payload = rewriteGlobals(reader, remap, true);
        break;
      case SECTION.export:
        payload = rewriteExports(reader, remap, fuelIndex);
        break;
      case SECTION.start:
        payload = new Writer();
        payload.u32(remap(reader.u32()));
        break;
      case SECTION.element:
        payload = rewriteElements(reader, remap);
        break;
      case SECTION.code: {
        const code = rewriteCode(reader, remap, check, stats, moved);
        payload = code.out;
        functions = code.functions;
        shiftMoved(moved, 0, out.length + 1 + leb(payload.length).length);
        break;
      }
      case SECTION.custom: {
        const custom = customName(bytes, section);
        if (custom.name === 'name') payload = rewriteNames(custom.reader, remap);
        break;
      }
      default:
        break;
    }
    emitted.add(section.id);
    if (payload === undefined) out.bytes(bytes, section.start, section.end);
    else out.section(section.id, payload);
  }
  createMissing(-1);
  return { bytes: out.result().slice(), functions, ...stats, moved: Uint32Array.from(moved) };
}

function writeMeterImport(out: Writer, typeIndex: number): void {
  out.name(METER_MODULE);
  out.name(METER_IMPORT);
  out.byte(0);
  out.u32(typeIndex);
}
