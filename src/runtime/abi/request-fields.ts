/**
 * The semantics of request fields (docs/reference/host-abi.md §6), on a plain {@link Invocation}: what `request_get_field` reads and
 * what `request_set_field` changes. No guest memory here; `request.ts` does the ABI glue.
 *
 * @module
 */
import type { HostCallResult } from '../../capabilities/host-services.js';
import { fromByteString, goQueryValue, parseGoUrl, toByteString } from '../../directive/go-url.js';
import type { Invocation } from '../invocation.js';

/** Request field types, as `request_get_field` numbers them (docs/reference/host-abi.md §7). */
export const FIELD_TYPE = { meta: 0, body: 1, header: 2, params: 3, state: 4, query: 5 } as const;

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
const FAIL: HostCallResult = { kind: 'status', status: -1 };

function data(value: string | Uint8Array | undefined): HostCallResult {
  if (value === undefined) return { kind: 'data', data: EMPTY };
  return { kind: 'data', data: typeof value === 'string' ? encoder.encode(value) : value };
}

function bodyField(invocation: Invocation, key: string): HostCallResult {
  if (invocation.request.body.length === 0) return data(undefined);
  try {
    const value = invocation.bodyObject()[key];
    return typeof value === 'string' ? data(value) : FAIL;
  } catch {
    return FAIL;
  }
}

/**
 * A query parameter as Atmo read it: the request URL parsed with Go's `url.Parse` (its error is the call's error,
 * `failed to url.Parse: …`), then the first value of `key` in `url.ParseQuery` of its query, byte for byte (see
 * {@link goQueryValue}); empty when no pair has the name.
 */
function queryField(url: string, key: string): HostCallResult {
  const parsed = parseGoUrl(url);
  if (parsed.error !== undefined) return { kind: 'error', message: `failed to url.Parse: ${parsed.error}` };
  const value = goQueryValue(parsed.url.rawQuery, toByteString(key));
  return data(value === undefined ? undefined : fromByteString(value));
}

/**
 * Reads a field. Missing keys give an empty result; an invalid field type, a bad JSON body or a non-string body value
 * give the bare status -1 (nothing stored); a query read from a URL Go's parser refuses gives its error.
 *
 * @example
 * ```ts
 * getField(invocation, FIELD_TYPE.header, 'Content-Type'); // headers are looked up lower-cased
 * ```
 */
export function getField(invocation: Invocation, fieldType: number, key: string): HostCallResult {
  const request = invocation.request;
  switch (fieldType) {
    case FIELD_TYPE.meta:
      if (key === 'method') return data(request.method);
      if (key === 'url') return data(request.url);
      if (key === 'id') return data(request.id);
      if (key === 'body') return data(request.body);
      return data(undefined);
    case FIELD_TYPE.body:
      return bodyField(invocation, key);
    case FIELD_TYPE.header:
      return data(request.headers[key.toLowerCase()]);
    case FIELD_TYPE.params:
      return data(request.params[key]);
    case FIELD_TYPE.state:
      return data(request.state[key]);
    case FIELD_TYPE.query:
      return queryField(request.url, key);
    default:
      return FAIL;
  }
}

/** Serialises an object like Go's `json.Marshal` of a map: keys sorted. */
function marshalSorted(value: Record<string, unknown>): Uint8Array {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = value[key];
  return encoder.encode(JSON.stringify(sorted));
}

function setBodyField(invocation: Invocation, key: string, value: Uint8Array): HostCallResult {
  if (invocation.request.body.length === 0) return data(undefined);
  let object: Record<string, unknown>;
  try {
    object = { ...invocation.bodyObject() };
  } catch (error) {
    return { kind: 'error', message: `failed to loadBodyValues: ${error instanceof Error ? error.message : String(error)}` };
  }
  object[key] = new TextDecoder().decode(value);
  const body = marshalSorted(object);
  invocation.hold(body.length - invocation.request.body.length);
  invocation.mutable().body = body;
  return data(undefined);
}

/**
 * What setting `record[key]` to a value of `size` adds to what the call holds: the key and the value when the key is
 * new, the difference when it replaces a value (the old one is released). Strings are measured in their length.
 */
function growth(record: Readonly<Record<string, { readonly length: number }>>, key: string, size: number): number {
  const old = Object.hasOwn(record, key) ? record[key] : undefined;
  return old === undefined ? key.length + size : size - old.length;
}

/**
 * Changes a field (`value` is taken over, not copied). Success stores an empty result (size 0); failures store an
 * error text: `key not found` for an unknown meta key, `invalid field type` for Query and unknown types. What the
 * change adds is counted against the call's host budget first ({@link Invocation.hold}, which throws past it).
 *
 * @example
 * ```ts
 * setField(invocation, FIELD_TYPE.state, 'user', bytes);
 * ```
 */
export function setField(invocation: Invocation, fieldType: number, key: string, value: Uint8Array): HostCallResult {
  if (fieldType === FIELD_TYPE.body) return setBodyField(invocation, key, value);
  const request = invocation.mutable();
  const text = (): string => new TextDecoder().decode(value);
  switch (fieldType) {
    case FIELD_TYPE.meta:
      if (key === 'method') {
        const method = text();
        invocation.hold(method.length - request.method.length);
        request.method = method;
      } else if (key === 'url') {
        const url = text();
        invocation.hold(url.length - request.url.length);
        request.url = url;
      } else if (key === 'body') {
        invocation.hold(value.length - request.body.length);
        request.body = value;
      } else if (key !== 'id') return { kind: 'error', message: 'key not found' };
      return data(undefined);
    case FIELD_TYPE.header: {
      const header = text();
      invocation.hold(growth(request.headers, key, header.length));
      request.headers[key] = header;
      return data(undefined);
    }
    case FIELD_TYPE.params: {
      const param = text();
      invocation.hold(growth(request.params, key, param.length));
      request.params[key] = param;
      return data(undefined);
    }
    case FIELD_TYPE.state:
      invocation.hold(growth(request.state, key, value.length));
      request.state[key] = value;
      return data(undefined);
    default:
      return { kind: 'error', message: 'invalid field type' };
  }
}
