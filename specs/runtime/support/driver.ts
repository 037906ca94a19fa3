/**
 * Test helpers for the runtime specs: a builder for the programs of the `hostcall` fixture (see its header), request
 * and HostServices fakes, and a log capture.
 */
import pino from 'pino';
import { Writable } from 'node:stream';
import type { HostCallContext, HostCallResult, HostServices } from '../../../src/capabilities/host-services.js';
import type { FunctionRequest } from '../../../src/runtime/request.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Op numbers of the hostcall fixture. */
export const OP = {
  return_result: 0,
  return_error: 1,
  return_abort: 2,
  get_ffi_result: 3,
  add_ffi_var: 4,
  fetch_url: 5,
  graphql_query: 6,
  cache_set: 7,
  cache_get: 8,
  log_msg: 9,
  request_get_field: 10,
  request_set_field: 11,
  resp_set_header: 12,
  get_static_file: 13,
  db_exec: 14,
  get_secret_value: 15,
  collect: 16,
  trap: 17,
  loop: 18,
  return_output: 19,
} as const;

type Arg = number | { readonly data: number };
interface Command {
  readonly op: number;
  readonly args: readonly Arg[];
  readonly ident?: number;
}

/** One decoded record of the output: an i32 result, or a collected FFI result. */
export type OutputRecord = number | { readonly rc: number; readonly bytes: Uint8Array; readonly text: string };

/**
 * Builds a program for the hostcall fixture.
 *
 * @example
 * ```ts
 * const p = new Program();
 * p.call('request_get_field', 0, ...p.str('method')).collect().returnOutput();
 * const records = p.decode(output); // [size, { rc: 0, text: 'GET' }]
 * ```
 */
export class Program {
  readonly #commands: Command[] = [];
  readonly #data: Uint8Array[] = [];
  #dataSize = 0;

  /** Puts bytes into the input; returns [pointer argument, length]. */
  str(value: string | Uint8Array): [Arg, number] {
    const bytes = typeof value === 'string' ? encoder.encode(value) : value;
    const at = this.#dataSize;
    this.#data.push(bytes);
    this.#dataSize += bytes.length;
    return [{ data: at }, bytes.length];
  }

  /** Calls a host function with the given arguments (the ident is added by the guest). */
  call(name: Exclude<keyof typeof OP, 'collect' | 'trap' | 'loop' | 'return_output'>, ...args: Arg[]): this {
    this.#commands.push({ op: OP[name], args });
    return this;
  }

  /** Like {@link call} but passes `ident` instead of the invocation's. */
  callWithIdent(ident: number, name: keyof typeof OP, ...args: Arg[]): this {
    this.#commands.push({ op: OP[name], args, ident });
    return this;
  }

  /** Collects the last result with get_ffi_result. */
  collect(): this {
    this.#commands.push({ op: OP.collect, args: [] });
    return this;
  }

  trap(): this {
    this.#commands.push({ op: OP.trap, args: [] });
    return this;
  }

  loop(): this {
    this.#commands.push({ op: OP.loop, args: [] });
    return this;
  }

  /** Returns the output built so far with return_result. */
  returnOutput(): this {
    this.#commands.push({ op: OP.return_output, args: [] });
    return this;
  }

  /** The input bytes. */
  build(): Uint8Array {
    const header = 4 + this.#commands.length * 36;
    const out = new Uint8Array(header + this.#dataSize);
    const view = new DataView(out.buffer);
    view.setUint32(0, this.#commands.length, true);
    this.#commands.forEach((command, i) => {
      const base = 4 + i * 36;
      view.setInt32(base, command.op, true);
      view.setInt32(base + 4, command.ident === undefined ? 0 : 1, true);
      const args = [...command.args];
      while (args.length < 6) args.push(0);
      args.push(command.ident ?? 0);
      args.forEach((arg, j) => {
        const value = typeof arg === 'number' ? arg : 0x40000000 | (header + arg.data);
        view.setInt32(base + 8 + j * 4, value, true);
      });
    });
    let offset = header;
    for (const bytes of this.#data) {
      out.set(bytes, offset);
      offset += bytes.length;
    }
    return out;
  }

  /** Decodes the output of {@link returnOutput} into one record per command before it. */
  decode(output: Uint8Array): OutputRecord[] {
    const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
    const records: OutputRecord[] = [];
    let offset = 0;
    for (const command of this.#commands) {
      if (command.op === OP.return_output) break;
      if (command.op === OP.collect) {
        const rc = view.getInt32(offset, true);
        const n = view.getInt32(offset + 4, true);
        const bytes = output.slice(offset + 8, offset + 8 + n);
        records.push({ rc, bytes, text: decoder.decode(bytes) });
        offset += 8 + n;
      } else {
        records.push(view.getInt32(offset, true));
        offset += 4;
      }
    }
    return records;
  }
}

/** A request with defaults. */
export function makeRequest(overrides: Partial<FunctionRequest> & { bodyText?: string } = {}): FunctionRequest {
  const { bodyText, ...rest } = overrides;
  return {
    method: 'GET',
    url: '/hello?name=world&name=again&x=1',
    id: 'req-1',
    body: bodyText === undefined ? new Uint8Array(0) : encoder.encode(bodyText),
    headers: {},
    params: {},
    state: {},
    respHeaders: {},
    ...rest,
  };
}

/** The calls a {@link FakeServices} received. */
export interface ServiceCall {
  readonly op: string;
  readonly args: readonly unknown[];
  readonly context: HostCallContext;
}

/**
 * An in-memory {@link HostServices}: a map cache, canned answers for the rest, an optional delay (a real `await` on a
 * timer) and a record of every call.
 */
export class FakeServices implements HostServices {
  readonly calls: ServiceCall[] = [];
  readonly cache = new Map<string, Uint8Array>();
  delayMs = 0;
  closed = false;

  async #answer(op: string, args: unknown[], context: HostCallContext, result: () => HostCallResult): Promise<HostCallResult> {
    this.calls.push({ op, args, context });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return result();
  }

  cacheGet(key: string, context: HostCallContext): Promise<HostCallResult> {
    return this.#answer('cacheGet', [key], context, () => {
      const value = this.cache.get(key);
      return value === undefined ? { kind: 'error', message: 'key not found' } : { kind: 'data', data: value };
    });
  }

  cacheSet(key: string, value: Uint8Array, ttlSeconds: number, context: HostCallContext): Promise<HostCallResult> {
    return this.#answer('cacheSet', [key, decoder.decode(value), ttlSeconds], context, () => {
      if (key === 'refused') return { kind: 'status', status: -2 };
      this.cache.set(key, value.slice());
      return { kind: 'data', data: new Uint8Array(0) };
    });
  }

  fetchUrl(method: number, url: string, body: Uint8Array, context: HostCallContext): Promise<HostCallResult> {
    return this.#answer('fetchUrl', [method, url, decoder.decode(body)], context, () => {
      if (method > 6) return { kind: 'status', status: -2 };
      if (url.includes('big')) return { kind: 'data', data: new Uint8Array(300_000).fill(7) };
      if (url.includes('fail')) return { kind: 'error', message: '500: upstream failed' };
      return { kind: 'data', data: encoder.encode(`fetched ${method} ${url}`) };
    });
  }

  graphqlQuery(endpoint: string, query: string, context: HostCallContext): Promise<HostCallResult> {
    return this.#answer('graphqlQuery', [endpoint, query], context, () => ({
      kind: 'data',
      data: encoder.encode(JSON.stringify({ data: { endpoint, query } })),
    }));
  }

  dbExec(queryType: number, name: string, variables: readonly string[], context: HostCallContext): Promise<HostCallResult> {
    return this.#answer('dbExec', [queryType, name, [...variables]], context, () =>
      name === 'missing' ? { kind: 'error', message: 'query not found' } : { kind: 'data', data: encoder.encode(JSON.stringify({ queryType, name, variables })) },
    );
  }

  getStaticFile(name: string, context: HostCallContext): Promise<HostCallResult> {
    return this.#answer('getStaticFile', [name], context, () =>
      name === 'index.html' ? { kind: 'data', data: encoder.encode('<h1>hi</h1>') } : { kind: 'error', message: 'failed to GetStatic: file does not exist' },
    );
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** A parsed log line. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly fn?: string;
  readonly request_id?: string;
  readonly ident?: number;
  readonly stream?: string;
}

/** A pino logger whose lines are kept in `lines`. */
export function captureLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** Text of an output. */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
