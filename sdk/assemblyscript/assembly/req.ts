/**
 * `req`: read and change the request the function runs for (HTTP request, stream message or schedule tick).
 *
 * @module
 */

import { request_get_field, request_set_field } from "./env";
import { ffiResult, getIdent, len, ptr, toBytes } from "./ffi";
import { Result } from "./result";

/** The parts of a request that `request_get_field` / `request_set_field` address (docs/reference/host-abi.md §6). */
export enum FieldType {
  /** `method`, `url`, `id`, `body` (the raw body). */
  Meta = 0,
  /** A top-level string field of the JSON body. */
  Body = 1,
  /** A request header (looked up case-insensitively). */
  Header = 2,
  /** A router path parameter (`:id`). */
  Params = 3,
  /** A value of the workflow state (the output of an earlier step, by its key). */
  State = 4,
  /** A query parameter of the URL (read only). */
  Query = 5,
}

/** Reads one field of the request: its bytes, or the host's error. */
export function getField(fieldType: FieldType, key: string): Result {
  const k = String.UTF8.encode(key);
  return ffiResult(request_get_field(fieldType, ptr(k), len(k), getIdent()));
}

/** Writes one field of the request: an empty result, or the host's error. */
export function setField<T>(fieldType: FieldType, key: string, value: T): Result {
  const k = String.UTF8.encode(key);
  const v = toBytes<T>(value);
  return ffiResult(request_set_field(fieldType, ptr(k), len(k), ptr(v), len(v), getIdent()));
}

/**
 * The request the function runs for. Getters give `""` (or empty bytes) when the field is missing or the host refuses
 * (the `requestHandler` capability is off); setters return a {@link Result} with the host's error.
 *
 * ```ts
 * const name = req.bodyField("name");
 * req.setState("greeting", "hello " + name);
 * ```
 */
export abstract class req {
  /** The HTTP method (`SCHED` for schedules, `STREAM` for stream messages). */
  static method(): string {
    return getField(FieldType.Meta, "method").text();
  }

  /** Replaces the method seen by later steps. */
  static setMethod(value: string): Result {
    return setField<string>(FieldType.Meta, "method", value);
  }

  /** The request URI: path and query string. */
  static url(): string {
    return getField(FieldType.Meta, "url").text();
  }

  /** Replaces the URL seen by later steps. */
  static setUrl(value: string): Result {
    return setField<string>(FieldType.Meta, "url", value);
  }

  /** The request's unique id. */
  static id(): string {
    return getField(FieldType.Meta, "id").text();
  }

  /** The raw request body. */
  static body(): ArrayBuffer {
    return getField(FieldType.Meta, "body").value;
  }

  /** The raw request body decoded as UTF-8. */
  static bodyText(): string {
    return getField(FieldType.Meta, "body").text();
  }

  /** Replaces the raw body seen by later steps: a string (UTF-8), an `ArrayBuffer` or a `Uint8Array`. */
  static setBody<T>(value: T): Result {
    return setField<T>(FieldType.Meta, "body", value);
  }

  /** The string value of a top-level field of the JSON body; `""` when missing, not a string, or not JSON. */
  static bodyField(key: string): string {
    return getField(FieldType.Body, key).text();
  }

  /** Sets a top-level field of the JSON body to a string (nothing happens when the body is empty). */
  static setBodyField(key: string, value: string): Result {
    return setField<string>(FieldType.Body, key, value);
  }

  /** A request header, by case-insensitive name. */
  static header(key: string): string {
    return getField(FieldType.Header, key).text();
  }

  /** Sets a request header for later steps (use a lower-case name: later reads lower-case the name they look up). */
  static setHeader(key: string, value: string): Result {
    return setField<string>(FieldType.Header, key, value);
  }

  /** A path parameter of the route (`/users/:id` → `urlParam("id")`). */
  static urlParam(key: string): string {
    return getField(FieldType.Params, key).text();
  }

  /** Sets a path parameter for later steps. */
  static setUrlParam(key: string, value: string): Result {
    return setField<string>(FieldType.Params, key, value);
  }

  /** A value of the workflow state (an earlier step's output, under its `as` or `fn` name) as UTF-8 text. */
  static state(key: string): string {
    return getField(FieldType.State, key).text();
  }

  /** A value of the workflow state as bytes. */
  static stateRaw(key: string): ArrayBuffer {
    return getField(FieldType.State, key).value;
  }

  /** Sets a value of the workflow state, visible to later steps: a string, an `ArrayBuffer` or a `Uint8Array`. */
  static setState<T>(key: string, value: T): Result {
    return setField<T>(FieldType.State, key, value);
  }

  /** The first value of a query parameter of the URL; `""` when missing. */
  static query(key: string): string {
    return getField(FieldType.Query, key).text();
  }
}
