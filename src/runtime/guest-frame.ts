/**
 * The user's frame of a guest failure. AssemblyScript's `abort` reports where a *library* check failed (for example
 * `~lib/array.ts`, line 114, for an index out of range); a trap names no place at all. The stack of the error (or,
 * for an abort, the stack at the host's `return_abort`) holds the guest's frames as V8 prints them,
 * `at name (wasm://wasm/<hash>:wasm-function[<index>]:0x<offset>)`, `name` coming from the module's name section.
 * This walks them from the innermost, skips the standard library's and the SDK's (`~lib/`), and names the first frame
 * of the user's code: with the module's source map (written by `e2rx build` beside the `.wasm`) as `file:line:column`,
 * else by its function name. Computed only on failure; a module's map is decoded once per thread.
 *
 * @module
 */
import { originalOffset } from './instrument-code.js';
import { mappingAt, parseSourceMap, positionOf, type SourceMapIndex, type SourcePosition } from './source-map.js';
import { sections, SECTION, Reader } from './wasm-binary.js';

/** A frame of Wasm code in a stack trace. */
export interface WasmFrame {
  /** The function's name from the name section, when the module has one. */
  readonly name: string | undefined;
  readonly functionIndex: number;
  /** The byte offset in the module (as it was compiled). */
  readonly offset: number;
}

/**
 * What locating a frame in the module's source needs: its source map, and how the compiled module's code offsets
 * relate to those of the module the map was written for. Plain data: it crosses to workers with the function.
 */
export interface GuestDebugInfo {
  /** The source map's JSON text. */
  readonly sourceMap: string;
  /** Where instrumentation moved code ({@link Instrumented.moved}); empty when the module was not instrumented. */
  readonly moved: Uint32Array;
  /** What to subtract from an offset in the code section after un-instrumenting (the memory maximum was capped). */
  readonly shift: number;
  /** The original module's function bodies: pairs `[start, end]` of byte offsets, in order. */
  readonly bodies: Uint32Array;
}

/** Where the user's code led to a failure. */
export interface GuestFrame {
  /** `file:line:column`, or the function's name when there is no source map. */
  readonly frame: string;
  /** The function's name, when the module has a name section. */
  readonly function?: string;
}

const WASM_FRAME = /^\s*at (?:(.*) \()?wasm:\/\/wasm\/[^:]*:wasm-function\[(\d+)\]:0x([0-9a-f]+)\)?\s*$/;

/** The Wasm frames of a V8 stack trace, innermost first. */
export function wasmFrames(stack: string | undefined): WasmFrame[] {
  if (stack === undefined) return [];
  const frames: WasmFrame[] = [];
  for (const line of stack.split('\n')) {
    const match = WASM_FRAME.exec(line);
    if (match === null) continue;
    const name = match[1];
    frames.push({
      name: name === undefined || name === '' ? undefined : name,
      functionIndex: Number(match[2]),
      offset: Number.parseInt(match[3] as string, 16),
    });
  }
  return frames;
}

/** The pairs `[start, end]` of the function bodies of a module's code section. */
export function functionBodies(wasm: Uint8Array): Uint32Array {
  const code = sections(wasm).find((section) => section.id === SECTION.code);
  if (code === undefined) return new Uint32Array(0);
  const reader = new Reader(wasm, code.payload, code.end);
  const count = reader.u32();
  const bodies = new Uint32Array(count * 2);
  for (let i = 0; i < count; i += 1) {
    const size = reader.u32();
    bodies[i * 2] = reader.offset;
    reader.offset += size;
    bodies[i * 2 + 1] = reader.offset;
  }
  return bodies;
}

/** Whether a source or function name is the standard library's or the SDK's, or the entry `e2rx build` generates. */
function isLibrary(name: string): boolean {
  return name.startsWith('~lib/') || name.includes('__e2rx_entry__');
}

function bodyStart(bodies: Uint32Array, offset: number): number {
  let low = 0;
  let high = bodies.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const start = bodies[middle * 2] as number;
    if (offset < start) high = middle - 1;
    else if (offset >= (bodies[middle * 2 + 1] as number)) low = middle + 1;
    else return start;
  }
  return 0;
}

const decoded = new WeakMap<GuestDebugInfo, SourceMapIndex | null>();

function indexOf(debug: GuestDebugInfo): SourceMapIndex | undefined {
  let index = decoded.get(debug);
  if (index === undefined) {
    index = parseSourceMap(debug.sourceMap) ?? null;
    decoded.set(debug, index);
  }
  return index ?? undefined;
}

/**
 * The user's position at a frame: the mapping at its offset when it is in the user's sources; when it is library code
 * inlined into the frame's function, the last mapping before it in that function that is in the user's sources (the
 * call the library code was inlined for).
 */
function userPosition(index: SourceMapIndex, debug: GuestDebugInfo, frame: WasmFrame): SourcePosition | undefined {
  const offset = originalOffset(debug.moved, frame.offset) - debug.shift;
  const start = bodyStart(debug.bodies, offset);
  for (let at = mappingAt(index, offset); at >= 0 && (index.offsets[at] as number) >= start; at -= 1) {
    const position = positionOf(index, at);
    if (position !== undefined && !isLibrary(position.source)) return position;
  }
  return undefined;
}

/**
 * The first frame of the user's code in `stack` (see the module comment); undefined when the stack has no Wasm frame
 * the module's source map or name section can tell apart from the library's.
 *
 * @example
 * ```ts
 * const found = guestFrame(error.stack, definition.debug);
 * if (found !== undefined) console.log(`called from ${found.frame}`);
 * ```
 */
export function guestFrame(stack: string | undefined, debug?: GuestDebugInfo): GuestFrame | undefined {
  const frames = wasmFrames(stack);
  const index = debug === undefined ? undefined : indexOf(debug);
  for (const frame of frames) {
    if (frame.name !== undefined && frame.name.startsWith('~lib/')) continue;
    const name = frame.name === undefined || isLibrary(frame.name) ? undefined : frame.name;
    if (index !== undefined && debug !== undefined) {
      const position = userPosition(index, debug, frame);
      if (position === undefined) continue;
      const at = `${position.source}:${position.line}:${position.column}`;
      return name === undefined ? { frame: at } : { frame: at, function: name };
    }
    if (name !== undefined) return { frame: name, function: name };
  }
  return undefined;
}

/** ` (called from <frame>)`-style suffix text: `<frame>` and, when it differs, the function's name. */
export function describeFrame(found: GuestFrame): string {
  return found.function === undefined || found.function === found.frame ? found.frame : `${found.frame} (${found.function})`;
}
