/**
 * A small reader for the parts of a WebAssembly binary the runtime needs and the JS API does not give: the
 * signatures of imported functions (to stub unknown imports with the right result type and to spot modules built
 * for an older ABI) and the memory limits (to cap the declared maximum at the configured memory limit).
 *
 * @module
 */

/** A WebAssembly value type. */
export type ValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

/** A function signature. */
export interface FuncType {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
}

/** Memory or table limits, in pages (64 KiB) or elements. */
export interface Limits {
  readonly min: number;
  readonly max?: number;
  readonly shared: boolean;
  readonly is64: boolean;
}

/** What one import declares. */
export type ImportDesc =
  | { readonly kind: 'function'; readonly type: FuncType }
  | { readonly kind: 'table'; readonly element: ValueType; readonly limits: Limits }
  | { readonly kind: 'memory'; readonly limits: Limits }
  | { readonly kind: 'global'; readonly type: ValueType; readonly mutable: boolean }
  | { readonly kind: 'tag' };

/** One import of a module. */
export interface ModuleImport {
  readonly module: string;
  readonly name: string;
  readonly desc: ImportDesc;
}

/** The layout facts read from a binary. */
export interface ModuleLayout {
  readonly imports: readonly ModuleImport[];
  /** The memories the module defines itself (not imported). */
  readonly memories: readonly Limits[];
}

/** The size of a WebAssembly page. */
export const WASM_PAGE_BYTES = 65_536;

const VALUE_TYPES: Readonly<Record<number, ValueType>> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref',
};

/** Section ids (WebAssembly core spec §5.5.2). */
export const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;
const SECTION_TYPE = SECTION.type;
const SECTION_IMPORT = SECTION.import;
const SECTION_MEMORY = SECTION.memory;

/** A cursor over a WebAssembly binary: bytes, LEB128 integers, names, value types, limits. */
export class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.offset = start;
  }

  byte(): number {
    if (this.offset >= this.end) throw new Error(`unexpected end of module at byte ${this.offset}`);
    return this.bytes[this.offset++] as number;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('LEB128 value too long');
    }
  }

  name(): string {
    const length = this.u32();
    const start = this.offset;
    this.offset += length;
    if (this.offset > this.end) throw new Error('name runs past its section');
    return new TextDecoder().decode(this.bytes.subarray(start, this.offset));
  }

  valueType(): ValueType {
    const code = this.byte();
    const type = VALUE_TYPES[code];
    if (type === undefined) throw new Error(`unsupported value type 0x${code.toString(16)}`);
    return type;
  }

  limits(): Limits {
    const flags = this.byte();
    const min = this.u32();
    const max = (flags & 1) !== 0 ? this.u32() : undefined;
    const base = { min, shared: (flags & 2) !== 0, is64: (flags & 4) !== 0 };
    return max === undefined ? base : { ...base, max };
  }
}

/** One section of a binary, by offsets. */
export interface Section {
  readonly id: number;
  /** Offset of the section id byte. */
  readonly start: number;
  /** Offset of the payload. */
  readonly payload: number;
  /** Offset just past the payload. */
  readonly end: number;
}

/** The sections of a binary, in order; throws on a bad magic number or a section running past the end. */
export function sections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly binary (bad magic number)');
  }
  const reader = new Reader(bytes, 8);
  const found: Section[] = [];
  while (reader.offset < bytes.length) {
    const start = reader.offset;
    const id = reader.byte();
    const size = reader.u32();
    const payload = reader.offset;
    const end = payload + size;
    if (end > bytes.length) throw new Error(`section ${id} runs past the end of the module`);
    found.push({ id, start, payload, end });
    reader.offset = end;
  }
  return found;
}

function readTypes(reader: Reader): FuncType[] {
  const types: FuncType[] = [];
  const count = reader.u32();
  for (let i = 0; i < count; i += 1) {
    const form = reader.byte();
    if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)}`);
    const params = Array.from({ length: reader.u32() }, () => reader.valueType());
    const results = Array.from({ length: reader.u32() }, () => reader.valueType());
    types.push({ params, results });
  }
  return types;
}

function readImport(reader: Reader, types: readonly FuncType[]): ModuleImport {
  const module = reader.name();
  const name = reader.name();
  const kind = reader.byte();
  switch (kind) {
    case 0: {
      const index = reader.u32();
      const type = types[index];
      if (type === undefined) throw new Error(`import ${module}.${name} refers to missing type ${index}`);
      return { module, name, desc: { kind: 'function', type } };
    }
    case 1: {
      const element = reader.valueType();
      return { module, name, desc: { kind: 'table', element, limits: reader.limits() } };
    }
    case 2:
      return { module, name, desc: { kind: 'memory', limits: reader.limits() } };
    case 3: {
      const type = reader.valueType();
      return { module, name, desc: { kind: 'global', type, mutable: reader.byte() === 1 } };
    }
    case 4:
      reader.byte();
      reader.u32();
      return { module, name, desc: { kind: 'tag' } };
    default:
      throw new Error(`unknown import kind ${kind} for ${module}.${name}`);
  }
}

/**
 * Reads the imports (with function signatures) and the defined memories of a WebAssembly binary.
 *
 * Throws a plain `Error` when the binary is malformed or uses type encodings this reader does not know (GC types);
 * the caller decides whether that is fatal.
 *
 * @example
 * ```ts
 * const layout = readModuleLayout(bytes);
 * for (const i of layout.imports) console.log(i.module, i.name, i.desc.kind);
 * ```
 */
export function readModuleLayout(bytes: Uint8Array): ModuleLayout {
  let types: FuncType[] = [];
  const imports: ModuleImport[] = [];
  const memories: Limits[] = [];
  for (const section of sections(bytes)) {
    const reader = new Reader(bytes, section.payload, section.end);
    if (section.id === SECTION_TYPE) types = readTypes(reader);
    else if (section.id === SECTION_IMPORT) {
      const count = reader.u32();
      for (let i = 0; i < count; i += 1) imports.push(readImport(reader, types));
    } else if (section.id === SECTION_MEMORY) {
      const count = reader.u32();
      for (let i = 0; i < count; i += 1) memories.push(reader.limits());
    }
  }
  return { imports, memories };
}

/** The unsigned LEB128 encoding of a non-negative integer. */
export function leb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let b = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest !== 0) b |= 0x80;
    out.push(b);
  } while (rest !== 0);
  return out;
}

function encodeLimits(limits: Limits, max: number): number[] {
  const flags = 1 | (limits.shared ? 2 : 0);
  return [flags, ...leb(limits.min), ...leb(max)];
}

/**
 * Returns a copy of the binary whose defined 32-bit memories declare a maximum of at most `maxPages`, so that
 * `memory.grow` fails inside the guest (returns -1) instead of growing past the limit. Returns the input unchanged when
 * no memory needs it. Throws when a memory's initial size is already above `maxPages`.
 *
 * @example
 * ```ts
 * const capped = capMemoryMaximum(bytes, 256); // 16 MiB
 * ```
 */
export function capMemoryMaximum(bytes: Uint8Array, maxPages: number): Uint8Array {
  const section = sections(bytes).find((s) => s.id === SECTION_MEMORY);
  if (section === undefined) return bytes;
  const reader = new Reader(bytes, section.payload, section.end);
  const count = reader.u32();
  const entries: Limits[] = Array.from({ length: count }, () => reader.limits());
  if (entries.every((l) => l.is64 || (l.max !== undefined && l.max <= maxPages))) return bytes;
  const payload: number[] = [...leb(count)];
  for (const limits of entries) {
    if (limits.is64) throw new Error('64-bit memories are not supported');
    if (limits.min > maxPages) {
      throw new Error(`the module needs ${limits.min} pages of memory at start but the limit is ${maxPages} pages`);
    }
    payload.push(...encodeLimits(limits, Math.min(limits.max ?? maxPages, maxPages)));
  }
  const header = [SECTION_MEMORY, ...leb(payload.length)];
  const out = new Uint8Array(section.start + header.length + payload.length + (bytes.length - section.end));
  out.set(bytes.subarray(0, section.start), 0);
  out.set(header, section.start);
  out.set(payload, section.start + header.length);
  out.set(bytes.subarray(section.end), section.start + header.length + payload.length);
  return out;
}
