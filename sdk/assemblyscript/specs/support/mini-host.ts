/**
 * A tiny Runnable host for the SDK's specs: it implements the 16 `env` host functions of the ABI (docs/reference/host-abi.md §5) with the
 * two-phase FFI protocol (§3.4) over an in-memory request, cache, HTTP stub, static files, queries and secrets, plus
 * WASI `random_get`. It records every host call, so the specs can check the protocol itself (each FFI result is
 * collected, nothing is left pending); e2rx-runtime.spec.ts and e2rx-engine.spec.ts run the same fixtures on e2rx's
 * real runtime and engine.
 *
 * @module
 */

/** The request a function runs for (Atmo's `CoordinatedRequest`). */
export interface MiniRequest {
  method: string;
  url: string;
  id: string;
  body: Uint8Array;
  headers: Record<string, string>;
  params: Record<string, string>;
  state: Record<string, Uint8Array>;
  respHeaders: Record<string, string>;
}

/** A stubbed HTTP exchange as `fetch_url` sees it. */
export interface MiniFetch {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/** What the host gives functions, all optional. */
export interface MiniHostOptions {
  /** Answers `fetch_url`: a status and body, or a thrown error for a transport failure. */
  readonly fetch?: (request: MiniFetch) => { status: number; body: string | Uint8Array };
  /** Answers `graphql_query` with the JSON text of the response, or throws. */
  readonly graphql?: (endpoint: string, query: string) => string;
  /** Static files by name. */
  readonly staticFiles?: Record<string, string | Uint8Array>;
  /** Answers `db_exec`: a JSON result, or throws with the error message. */
  readonly db?: (queryType: number, name: string, values: readonly string[]) => string;
  /** Allowed secrets. */
  readonly secrets?: Record<string, string>;
  /** Keys `cache_set` refuses (returns -2). */
  readonly refuseCacheKeys?: readonly string[];
}

/** One host call the function made. */
export interface MiniCall {
  readonly name: string;
  readonly args: readonly number[];
  readonly returned?: number;
  /** Whether the host refused the call because a previous FFI result was not collected. */
  readonly refused?: boolean;
}

/** The outcome of one invocation. */
export interface MiniInvocation {
  /** The bytes passed to `return_result`, when called. */
  readonly output?: Uint8Array;
  /** The error passed to `return_error` or `return_abort`, when called. */
  readonly error?: { readonly code: number; readonly message: string };
  /** The exception thrown by `run_e` (a Wasm trap). */
  readonly trap?: Error;
  /** `log_msg` calls. */
  readonly logs: readonly { readonly level: number; readonly message: string }[];
  /** Every host call, in order. */
  readonly calls: readonly MiniCall[];
  /** HTTP requests made. */
  readonly fetches: readonly MiniFetch[];
  /** The request after the invocation (fields set by the function are visible). */
  readonly request: MiniRequest;
  /** The output as text (UTF-8), or undefined. */
  readonly text: string | undefined;
}

/** A module instance with the mini host around it. */
export interface MiniHost {
  /** The instance's exports. */
  readonly exports: WebAssembly.Exports;
  /** The shared cache (persists across invocations). */
  readonly cache: Map<string, Uint8Array>;
  /** Runs `run_e` once with `input` (the request body by default) and the given request fields. */
  run(input?: string | Uint8Array, request?: Partial<MiniRequest>): MiniInvocation;
}

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytesOf = (value: string | Uint8Array): Uint8Array => (typeof value === 'string' ? encoder.encode(value) : value);

/** Thrown by a host function body: stored as the FFI error. */
class FfiError extends Error {}

/** Thrown by a host function body that fails without storing anything (returns -1). */
class NoResult extends Error {}

/** Instantiates `binary` with the mini host. */
export async function createMiniHost(binary: Uint8Array, options: MiniHostOptions = {}): Promise<MiniHost> {
  const cache = new Map<string, Uint8Array>();
  let memory: WebAssembly.Memory | undefined;
  let ident = -1;
  let job: {
    request: MiniRequest;
    pending: { data: Uint8Array; error: boolean } | undefined;
    vars: string[];
    output?: Uint8Array;
    error?: { code: number; message: string };
    logs: { level: number; message: string }[];
    calls: MiniCall[];
    fetches: MiniFetch[];
  } | undefined;

  const mem = (): Uint8Array => new Uint8Array((memory as WebAssembly.Memory).buffer);
  const read = (ptr: number, size: number): Uint8Array => mem().slice(ptr, ptr + size);
  const text = (ptr: number, size: number): string => decoder.decode(read(ptr, size));
  const current = (id: number) => (id === ident && job !== undefined ? job : undefined);

  /** Runs an FFI host function: stores its result or error and returns the size (docs/reference/host-abi.md §4). */
  const ffi = (name: string, id: number, args: number[], produce: () => Uint8Array | string, guarded = true): number => {
    const j = current(id);
    if (j === undefined) return -1;
    const record = (returned: number): number => {
      j.calls.push({ name, args, returned });
      return returned;
    };
    if (guarded && j.pending !== undefined) {
      j.calls.push({ name, args, returned: -1, refused: true });
      return -1;
    }
    try {
      const data = bytesOf(produce());
      j.pending = { data, error: false };
      return record(data.length);
    } catch (error) {
      if (error instanceof NoResult) return record(-1);
      if (!(error instanceof FfiError)) throw error;
      const data = encoder.encode(error.message);
      j.pending = { data, error: true };
      return record(-data.length);
    }
  };
  const fail = (message: string): never => {
    throw new FfiError(message);
  };
  const getField = (j: NonNullable<typeof job>, type: number, key: string): Uint8Array | string => {
    const r = j.request;
    switch (type) {
      case 0:
        if (key === 'method') return r.method;
        if (key === 'url') return r.url;
        if (key === 'id') return r.id;
        if (key === 'body') return r.body;
        return '';
      case 1: {
        if (r.body.length === 0) return '';
        let parsed: unknown;
        try {
          parsed = JSON.parse(decoder.decode(r.body));
        } catch {
          throw new NoResult();
        }
        const value = (parsed as Record<string, unknown>)[key];
        if (typeof value !== 'string') throw new NoResult();
        return value;
      }
      case 2:
        return r.headers[key.toLowerCase()] ?? '';
      case 3:
        return r.params[key] ?? '';
      case 4:
        return r.state[key] ?? '';
      case 5:
        return new URL(r.url, 'http://host').searchParams.get(key) ?? '';
      default:
        return fail('invalid field type');
    }
  };
  const setField = (j: NonNullable<typeof job>, type: number, key: string, value: Uint8Array): string => {
    const r = j.request;
    switch (type) {
      case 0:
        if (key === 'method') r.method = decoder.decode(value);
        else if (key === 'url') r.url = decoder.decode(value);
        else if (key === 'body') r.body = value;
        else if (key !== 'id') fail('key not found');
        return '';
      case 1: {
        if (r.body.length === 0) return '';
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(decoder.decode(r.body)) as Record<string, unknown>;
        } catch {
          return fail('failed to unmarshal body');
        }
        parsed[key] = decoder.decode(value);
        r.body = encoder.encode(JSON.stringify(parsed));
        return '';
      }
      case 2:
        r.headers[key] = decoder.decode(value);
        return '';
      case 3:
        r.params[key] = decoder.decode(value);
        return '';
      case 4:
        r.state[key] = value;
        return '';
      default:
        return fail('invalid field type');
    }
  };

  const env: Record<string, (...args: number[]) => number | void> = {
    return_result(ptr: number, size: number, id: number) {
      const j = current(id);
      if (j === undefined) return;
      j.calls.push({ name: 'return_result', args: [ptr, size, id] });
      if (j.output === undefined && j.error === undefined) j.output = read(ptr, size);
    },
    return_error(code: number, ptr: number, size: number, id: number) {
      const j = current(id);
      if (j === undefined) return;
      j.calls.push({ name: 'return_error', args: [code, ptr, size, id] });
      if (j.output === undefined && j.error === undefined) j.error = { code, message: text(ptr, size) };
    },
    return_abort(msgPtr: number, msgSize: number, filePtr: number, fileSize: number, line: number, col: number, id: number) {
      const j = current(id);
      if (j === undefined) return;
      j.calls.push({ name: 'return_abort', args: [msgPtr, msgSize, filePtr, fileSize, line, col, id] });
      const message = `runnable abort: ${text(msgPtr, msgSize)}; file: ${text(filePtr, fileSize)}, line: ${line}, col: ${col}`;
      j.logs.push({ level: 1, message });
      if (j.output === undefined && j.error === undefined) j.error = { code: -1, message };
    },
    get_ffi_result(ptr: number, id: number) {
      const j = current(id);
      if (j === undefined) return -1;
      const pending = j.pending;
      j.calls.push({ name: 'get_ffi_result', args: [ptr, id], returned: pending === undefined ? -1 : 0 });
      if (pending === undefined) return -1;
      mem().set(pending.data, ptr);
      j.pending = undefined;
      return 0;
    },
    add_ffi_var(namePtr: number, nameSize: number, valPtr: number, valSize: number, id: number) {
      const j = current(id);
      if (j === undefined) return -1;
      j.calls.push({ name: 'add_ffi_var', args: [namePtr, nameSize, valPtr, valSize, id], returned: 0 });
      j.vars.push(text(valPtr, valSize));
      return 0;
    },
    fetch_url(method: number, urlPtr: number, urlSize: number, bodyPtr: number, bodySize: number, id: number) {
      const j = current(id);
      if (j === undefined) return -1;
      const methodName = METHODS[method];
      const [url = '', ...segments] = text(urlPtr, urlSize).split('::');
      const headers: Record<string, string> = {};
      for (const segment of segments) {
        const parts = segment.split(':');
        if (parts.length !== 2) return -2;
        headers[(parts[0] ?? '').toLowerCase()] = parts[1] ?? '';
      }
      if (methodName === undefined) return -2;
      const request: MiniFetch = { method: methodName, url, headers, body: read(bodyPtr, bodySize) };
      return ffi('fetch_url', id, [method, urlPtr, urlSize, bodyPtr, bodySize, id], () => {
        j.fetches.push(request);
        const response = options.fetch?.(request) ?? { status: 404, body: 'no fetch stub' };
        if (response.status > 299) fail(`${response.status}: ${decoder.decode(bytesOf(response.body))}`);
        return response.body;
      });
    },
    graphql_query(endpointPtr: number, endpointSize: number, queryPtr: number, querySize: number, id: number) {
      const endpoint = text(endpointPtr, endpointSize);
      const query = text(queryPtr, querySize);
      return ffi('graphql_query', id, [endpointPtr, endpointSize, queryPtr, querySize, id], () =>
        options.graphql === undefined ? fail('capability is not enabled') : options.graphql(endpoint, query),
      );
    },
    cache_set(keyPtr: number, keySize: number, valPtr: number, valSize: number, ttl: number, id: number) {
      const j = current(id);
      if (j === undefined) return -1;
      const key = text(keyPtr, keySize);
      const returned = options.refuseCacheKeys?.includes(key) === true ? -2 : 0;
      j.calls.push({ name: 'cache_set', args: [keyPtr, keySize, valPtr, valSize, ttl, id], returned });
      if (returned === 0) cache.set(key, read(valPtr, valSize));
      return returned;
    },
    cache_get(keyPtr: number, keySize: number, id: number) {
      const key = text(keyPtr, keySize);
      return ffi('cache_get', id, [keyPtr, keySize, id], () => cache.get(key) ?? fail('key not found'));
    },
    log_msg(ptr: number, size: number, level: number, id: number) {
      const j = current(id);
      if (j === undefined) return;
      j.calls.push({ name: 'log_msg', args: [ptr, size, level, id] });
      j.logs.push({ level, message: text(ptr, size) });
    },
    request_get_field(type: number, keyPtr: number, keySize: number, id: number) {
      const j = current(id);
      if (j === undefined) return -1;
      const key = text(keyPtr, keySize);
      return ffi('request_get_field', id, [type, keyPtr, keySize, id], () => getField(j, type, key));
    },
    request_set_field(type: number, keyPtr: number, keySize: number, valPtr: number, valSize: number, id: number) {
      const j = current(id);
      if (j === undefined) return -1;
      const key = text(keyPtr, keySize);
      const value = read(valPtr, valSize);
      return ffi('request_set_field', id, [type, keyPtr, keySize, valPtr, valSize, id], () => setField(j, type, key, value));
    },
    resp_set_header(keyPtr: number, keySize: number, valPtr: number, valSize: number, id: number) {
      const j = current(id);
      if (j === undefined) return;
      j.calls.push({ name: 'resp_set_header', args: [keyPtr, keySize, valPtr, valSize, id] });
      j.request.respHeaders[text(keyPtr, keySize)] = text(valPtr, valSize);
    },
    get_static_file(namePtr: number, nameSize: number, id: number) {
      const name = text(namePtr, nameSize);
      return ffi('get_static_file', id, [namePtr, nameSize, id], () => {
        const found = options.staticFiles?.[name];
        return found === undefined ? fail(`open static/${name}: file does not exist`) : found;
      });
    },
    db_exec(queryType: number, namePtr: number, nameSize: number, id: number) {
      const j = current(id);
      if (j === undefined) return -1;
      const name = text(namePtr, nameSize);
      const values = j.vars;
      j.vars = [];
      return ffi('db_exec', id, [queryType, namePtr, nameSize, id], () => {
        if (options.db === undefined) return fail('capability is not enabled');
        try {
          return options.db(queryType, name, values);
        } catch (error) {
          return fail((error as Error).message);
        }
      });
    },
    get_secret_value(keyPtr: number, keySize: number, id: number) {
      const key = text(keyPtr, keySize);
      return ffi('get_secret_value', id, [keyPtr, keySize, id], () => options.secrets?.[key] ?? '', false);
    },
  };
  const wasi = {
    random_get(ptr: number, len: number) {
      crypto.getRandomValues(mem().subarray(ptr, ptr + len));
      return 0;
    },
  };

  const module = await WebAssembly.compile(binary);
  const instance = await WebAssembly.instantiate(module, { env, wasi_snapshot_preview1: wasi });
  memory = instance.exports['memory'] as WebAssembly.Memory;
  const allocate = instance.exports['allocate'] as (size: number) => number;
  const deallocate = instance.exports['deallocate'] as (ptr: number, size: number) => void;
  const runE = instance.exports['run_e'] as (ptr: number, size: number, ident: number) => void;

  return {
    exports: instance.exports,
    cache,
    run(input, request = {}) {
      const body = bytesOf(input ?? request.body ?? new Uint8Array());
      const req: MiniRequest = {
        method: 'POST',
        url: '/',
        id: 'req-1',
        headers: {},
        params: {},
        state: {},
        respHeaders: {},
        ...request,
        body: request.body ?? body,
      };
      const j: NonNullable<typeof job> = { request: req, pending: undefined, vars: [], logs: [], calls: [], fetches: [] };
      job = j;
      ident = Math.floor(Math.random() * 0x7fffffff);
      let trap: Error | undefined;
      const ptr = allocate(body.length);
      mem().set(body, ptr);
      try {
        runE(ptr, body.length, ident);
      } catch (error) {
        trap = error as Error;
      }
      deallocate(ptr, body.length);
      job = undefined;
      ident = -1;
      return {
        ...(j.output === undefined ? {} : { output: j.output }),
        ...(j.error === undefined ? {} : { error: j.error }),
        ...(trap === undefined ? {} : { trap }),
        logs: j.logs,
        calls: j.calls,
        fetches: j.fetches,
        request: req,
        text: j.output === undefined ? undefined : decoder.decode(j.output),
      };
    },
  };
}
