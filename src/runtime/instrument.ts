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
import { checkSequence, type CodeStats, rewriteCode, shiftMoved } from './instrument-code.js';
import { NotInstrumentable } from './not-instrumentable.js';
import { leb, Reader, SECTION, sections, type Section } from './wasm-binary.js';
import { OPCODE, UnsupportedInstruction } from './wasm-instructions.js';
import { copyConstExpr, customName, rewriteElements, rewriteNames, rewriteTables } from './wasm-renumber.js';
import { Writer } from './wasm-writer.js';

export { NotInstrumentable } from './not-instrumentable.js';

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
   * changes. Code at new offset `x` was at `old + (x - new)` of the last pair with `new <= x` (see `originalOffset` in `instrument-code.ts`).
   */
  readonly moved: Uint32Array;
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
