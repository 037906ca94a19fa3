/**
 * Reading a WebAssembly source map (version 3, as AssemblyScript / Binaryen write it): every mapping is on generated
 * line 1 and its generated column is a byte offset in the module. Decoded once, on the first failure that needs it.
 *
 * @module
 */

/** A position in a source file: `line` and `column` from 1. */
export interface SourcePosition {
  readonly source: string;
  readonly line: number;
  readonly column: number;
}

/** The decoded mappings of a source map, sorted by byte offset. */
export interface SourceMapIndex {
  readonly sources: readonly string[];
  /** The byte offset of each mapping. */
  readonly offsets: Uint32Array;
  /** The index in `sources` of each mapping, -1 for a mapping without a source. */
  readonly sourceOf: Int32Array;
  /** The line (from 0) of each mapping. */
  readonly lines: Uint32Array;
  /** The column (from 0) of each mapping. */
  readonly columns: Uint32Array;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT: ReadonlyMap<string, number> = new Map([...BASE64].map((char, index) => [char, index]));

/** The base64 VLQ numbers of one segment of `mappings`. */
export function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`not a base64 VLQ digit: ${char}`);
    value += (digit & 31) * 2 ** shift;
    if ((digit & 32) !== 0) {
      shift += 5;
      continue;
    }
    values.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  if (shift !== 0) throw new Error('a base64 VLQ number is cut short');
  return values;
}

/**
 * Decodes a Wasm source map's JSON text. Undefined when it is not a source map this reader understands (a map of a
 * text file, with several generated lines, is not).
 *
 * @example
 * ```ts
 * const index = parseSourceMap('{"version":3,"sources":["a.ts"],"mappings":"gBAAA"}');
 * console.log(index === undefined ? 'none' : sourcePositionAt(index, 0x200));
 * ```
 */
export function parseSourceMap(text: string): SourceMapIndex | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { sources, mappings } = parsed as { sources?: unknown; mappings?: unknown };
  if (!Array.isArray(sources) || typeof mappings !== 'string' || mappings.includes(';')) return undefined;
  const names = sources.map((source) => (typeof source === 'string' ? source.replace(/^\.\//, '') : ''));
  const segments = mappings === '' ? [] : mappings.split(',');
  const offsets = new Uint32Array(segments.length);
  const sourceOf = new Int32Array(segments.length);
  const lines = new Uint32Array(segments.length);
  const columns = new Uint32Array(segments.length);
  let offset = 0;
  let source = 0;
  let line = 0;
  let column = 0;
  let count = 0;
  try {
    for (const segment of segments) {
      const fields = decodeVlq(segment);
      if (fields.length === 0) continue;
      offset += fields[0] as number;
      offsets[count] = offset;
      if (fields.length >= 4) {
        source += fields[1] as number;
        line += fields[2] as number;
        column += fields[3] as number;
        sourceOf[count] = source;
        lines[count] = line;
        columns[count] = column;
      } else {
        sourceOf[count] = -1;
      }
      count += 1;
    }
  } catch {
    return undefined;
  }
  // Binaryen writes them in order; sorting keeps a hand-made map usable too.
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => (offsets[a] as number) - (offsets[b] as number));
  const sorted = { offsets: new Uint32Array(count), sourceOf: new Int32Array(count), lines: new Uint32Array(count), columns: new Uint32Array(count) };
  for (let i = 0; i < count; i += 1) {
    const at = order[i] as number;
    sorted.offsets[i] = offsets[at] as number;
    sorted.sourceOf[i] = sourceOf[at] as number;
    sorted.lines[i] = lines[at] as number;
    sorted.columns[i] = columns[at] as number;
  }
  return { sources: names, ...sorted };
}

/** The index of the last mapping at or before `offset`, -1 when there is none. */
export function mappingAt(index: SourceMapIndex, offset: number): number {
  let low = 0;
  let high = index.offsets.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((index.offsets[middle] as number) <= offset) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/** The source position of mapping `at`, undefined when it has none. */
export function positionOf(index: SourceMapIndex, at: number): SourcePosition | undefined {
  const source = index.sourceOf[at];
  if (source === undefined || source < 0) return undefined;
  const name = index.sources[source];
  if (name === undefined) return undefined;
  return { source: name, line: (index.lines[at] as number) + 1, column: (index.columns[at] as number) + 1 };
}

/** The source position of the code at byte `offset` of the module (the last mapping at or before it). */
export function sourcePositionAt(index: SourceMapIndex, offset: number): SourcePosition | undefined {
  const at = mappingAt(index, offset);
  return at < 0 ? undefined : positionOf(index, at);
}
