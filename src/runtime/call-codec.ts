/**
 * Calls and their outcomes as records of a {@link Ring}: what crosses between the main thread and a worker without
 * structured cloning.
 *
 * A call carries what the guest can read: method, url, id, body, headers, params and state. Response headers are
 * write-only for the guest, so the worker starts from none. An outcome carries the request only when the guest changed
 * it (the invocation copies the request on its first change, see `Invocation.mutable()`); the main thread then gives
 * back the caller's own request when it was left unchanged, or merges the response headers the guest set into the
 * caller's ({@link restoreRequest}).
 *
 * A record that is too large for the ring travels as a message on the channel's port instead; the ring then carries a
 * `port` record in its place, so that the order holds.
 *
 * @module
 */
import { guestPublishBytes, type GuestPublish, type PublishConnection } from './guest-publish.js';
import type { HostCallMessage } from './bridge.js';
import type { HostRequest, LogFields, LogLevel } from './host-env.js';
import type { FunctionDefinition } from './instance.js';
import type { Failure, RunOutcome } from './outcome.js';
import type { RecordReader, RecordWriter } from './ring.js';
import { type FunctionRequest, ownRequest } from './request.js';

/** The kinds of records. `port`: the next message on the channel's port is the record. */
export const RECORD = { call: 1, result: 2, port: 3, host: 4, log: 5 } as const;

/** A call as it crosses. */
export interface CallMessage {
  readonly type: 'call';
  /** Its claim slot on the worker (see `CallChannel`). */
  readonly slot: number;
  readonly id: number;
  readonly name: string;
  readonly request: FunctionRequest;
}

/** A function to add or replace on the worker (always a port message: a compiled module is not bytes). */
export interface RegisterMessage {
  readonly type: 'register';
  readonly definition: FunctionDefinition;
}

/**
 * An outcome as it crosses: `request` is absent when the guest left the request unchanged (the main thread restores
 * it with {@link restoreRequest}).
 */
export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  /** Instances of the function alive on the worker. */
  readonly instances: number;
  readonly outcome: RunOutcome | Unchanged;
}

/** A guest's log line (`log_msg`, WASI stdout and stderr) or a warning of the worker's runtime. */
export interface LogMessage {
  readonly type: 'log';
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/** An outcome whose request the guest left unchanged, before {@link restoreRequest}. */
export type Unchanged =
  | { readonly kind: 'output'; readonly output: Uint8Array; readonly request?: undefined; readonly publishes?: readonly GuestPublish[] }
  | { readonly kind: 'runError'; readonly code: number; readonly message: string; readonly request?: undefined }
  | { readonly kind: 'none'; readonly request?: undefined; readonly publishes?: readonly GuestPublish[] };

/** Bytes of a request's body and state: what decides whether it crosses in the ring or on the port. */
export function payloadBytes(request: FunctionRequest): number {
  let bytes = request.body.length;
  for (const key in request.state) bytes += (request.state[key] as Uint8Array).length;
  return bytes;
}

function writeStrings(w: RecordWriter, map: Readonly<Record<string, string>>): void {
  const at = w.offset;
  w.u32(0);
  let n = 0;
  for (const key in map) {
    w.str(key);
    w.str(map[key] as string);
    n += 1;
  }
  w.patch(at, n);
}

function readStrings(r: RecordReader): Record<string, string> {
  const out: Record<string, string> = {};
  for (let n = r.u32(); n > 0; n -= 1) {
    const key = r.str();
    out[key] = r.str();
  }
  return out;
}

function writeRequest(w: RecordWriter, request: FunctionRequest, respHeaders: boolean): void {
  w.str(request.method);
  w.str(request.url);
  w.str(request.id);
  w.bytes(request.body);
  writeStrings(w, request.headers);
  writeStrings(w, request.params);
  const at = w.offset;
  w.u32(0);
  let n = 0;
  for (const key in request.state) {
    w.str(key);
    w.bytes(request.state[key] as Uint8Array);
    n += 1;
  }
  w.patch(at, n);
  if (respHeaders) writeStrings(w, request.respHeaders);
  else w.u32(0);
}

function readRequest(r: RecordReader): FunctionRequest {
  const method = r.str();
  const url = r.str();
  const id = r.str();
  const body = r.bytes();
  const headers = readStrings(r);
  const params = readStrings(r);
  const state: Record<string, Uint8Array> = {};
  for (let n = r.u32(); n > 0; n -= 1) {
    const key = r.str();
    state[key] = r.bytes();
  }
  const respHeaders = readStrings(r);
  return { method, url, id, body, headers, params, state, respHeaders };
}

/**
 * The request as it crosses on the port: without the response headers, like {@link writeCall}, and with bytes that
 * own their buffers (structured cloning a view copies its whole buffer).
 */
export function leanRequest(request: FunctionRequest): FunctionRequest {
  return { ...ownRequest(request), respHeaders: {} };
}

/** Writes a call record (main thread). */
export function writeCall(w: RecordWriter, slot: number, id: number, name: string, request: FunctionRequest): void {
  w.u32(RECORD.call);
  w.u32(slot);
  w.u32(id);
  w.str(name);
  writeRequest(w, request, false);
}

/** Writes a `port` record: the next message on the port takes its place; `slot` is the call's, if it is one. */
export function writePort(w: RecordWriter, slot = 0): void {
  w.u32(RECORD.port);
  w.u32(slot);
}

/** Reads a record's kind and slot; then {@link readCall} reads the rest of a call. */
export function readHeader(r: RecordReader): { kind: number; slot: number } {
  return { kind: r.u32(), slot: r.u32() };
}

/** Reads the rest of a call record (worker), after {@link readHeader}. */
export function readCall(r: RecordReader, slot: number): CallMessage {
  const id = r.u32();
  const name = r.str();
  return { type: 'call', slot, id, name, request: readRequest(r) };
}

const KIND = { output: 0, runError: 1, none: 2, failure: 3 } as const;

/** The outcome as it crosses: without its request when the guest left `received` unchanged. */
export function reportable(outcome: RunOutcome, received: FunctionRequest): RunOutcome | Unchanged {
  if (outcome.kind === 'failure' || outcome.request !== received) return outcome;
  switch (outcome.kind) {
    case 'output':
      return outcome.publishes === undefined ? { kind: 'output', output: outcome.output } : { kind: 'output', output: outcome.output, publishes: outcome.publishes };
    case 'runError':
      return { kind: 'runError', code: outcome.code, message: outcome.message };
    case 'none':
      return outcome.publishes === undefined ? { kind: 'none' } : { kind: 'none', publishes: outcome.publishes };
  }
}

/**
 * Bytes of an outcome's output, changed request and published messages: what decides whether it crosses in the ring
 * or on the port.
 */
export function outcomeBytes(outcome: RunOutcome | Unchanged): number {
  if (outcome.kind === 'failure') return 0;
  let bytes = outcome.kind === 'output' ? outcome.output.length : 0;
  if (outcome.request !== undefined) bytes += payloadBytes(outcome.request);
  if (outcome.kind !== 'runError' && outcome.publishes !== undefined) for (const message of outcome.publishes) bytes += guestPublishBytes(message);
  return bytes;
}

const CONNECTIONS: readonly PublishConnection[] = ['nats', 'kafka'];

/** Writes the messages a call published (e2rx): a count, then connection, target, body, headers and key of each. */
function writePublishes(w: RecordWriter, publishes: readonly GuestPublish[] | undefined): void {
  w.u32(publishes?.length ?? 0);
  for (const message of publishes ?? []) {
    w.u32(CONNECTIONS.indexOf(message.connection));
    w.str(message.target);
    w.bytes(message.body);
    w.u32(message.headers.length);
    for (const [name, value] of message.headers) {
      w.str(name);
      w.str(value);
    }
    if (message.key === undefined) w.u32(0);
    else {
      w.u32(1);
      w.bytes(message.key);
    }
  }
}

function readPublishes(r: RecordReader): { publishes?: GuestPublish[] } {
  const count = r.u32();
  if (count === 0) return {};
  const publishes: GuestPublish[] = [];
  for (let n = count; n > 0; n -= 1) {
    const connection = CONNECTIONS[r.u32()] as PublishConnection;
    const target = r.str();
    const body = r.bytes();
    const headers: Array<readonly [string, string]> = [];
    for (let h = r.u32(); h > 0; h -= 1) headers.push([r.str(), r.str()]);
    publishes.push(r.u32() === 1 ? { connection, target, body, headers, key: r.bytes() } : { connection, target, body, headers });
  }
  return { publishes };
}

/** Writes a result record (worker). */
export function writeResult(w: RecordWriter, result: ResultMessage): void {
  const { outcome } = result;
  w.u32(RECORD.result);
  w.u32(0);
  w.u32(result.id);
  w.u32(result.instances);
  w.u32(KIND[outcome.kind]);
  switch (outcome.kind) {
    case 'output':
      w.bytes(outcome.output);
      break;
    case 'runError':
      w.i32(outcome.code);
      w.str(outcome.message);
      break;
    case 'none':
      break;
    case 'failure':
      w.str(outcome.failure.code);
      w.str(outcome.failure.message);
      w.str(outcome.failure.details === undefined ? '' : JSON.stringify(outcome.failure.details));
      return;
  }
  if (outcome.request === undefined) w.u32(0);
  else {
    w.u32(1);
    writeRequest(w, outcome.request, true);
  }
  writePublishes(w, outcome.kind === 'runError' ? undefined : outcome.publishes);
}

/** Reads the rest of a result record (main thread), after {@link readHeader}. */
export function readResult(r: RecordReader): ResultMessage {
  const id = r.u32();
  const instances = r.u32();
  const kind = r.u32();
  if (kind === KIND.failure) {
    const code = r.str() as Failure['code'];
    const message = r.str();
    const details = r.str();
    const failure: Failure = details === '' ? { code, message } : { code, message, details: JSON.parse(details) as Record<string, unknown> };
    return { type: 'result', id, instances, outcome: { kind: 'failure', failure } };
  }
  const output = kind === KIND.output ? r.bytes() : undefined;
  const runError = kind === KIND.runError ? { code: r.i32(), message: r.str() } : undefined;
  const changed = r.u32() === 1 ? { request: readRequest(r) } : {};
  const published = readPublishes(r);
  if (output !== undefined) return { type: 'result', id, instances, outcome: { kind: 'output', output, ...changed, ...published } };
  if (runError !== undefined) return { type: 'result', id, instances, outcome: { kind: 'runError', ...runError, ...changed } };
  return { type: 'result', id, instances, outcome: { kind: 'none', ...changed, ...published } };
}

/**
 * The outcome as the caller gets it: an unchanged request is the caller's own object; a changed one carries the
 * caller's response headers with the guest's on top (the guest started from none).
 */
export function restoreRequest(outcome: RunOutcome | Unchanged, sent: FunctionRequest): RunOutcome {
  if (outcome.kind === 'failure') return outcome;
  if (outcome.request === undefined) return { ...outcome, request: sent };
  const request = outcome.request;
  request.respHeaders = { ...sent.respHeaders, ...request.respHeaders };
  return outcome;
}

/**
 * Bytes a host call carries (a cache value, a request body): what decides whether it crosses in the ring or on the
 * port.
 */
export function hostCallBytes(request: HostRequest): number {
  if (request.op === 'cacheSet') return request.value.length;
  if (request.op === 'fetchUrl') return request.body.length;
  return 0;
}

const HOST_OPS = ['cacheGet', 'cacheSet', 'fetchUrl', 'graphqlQuery', 'dbExec', 'getStaticFile'] as const;

/** Writes an asynchronous host call (worker); the main thread serves it and answers on the bridge. */
export function writeHostCall(w: RecordWriter, message: HostCallMessage): void {
  const { request, context } = message;
  w.u32(RECORD.host);
  w.u32(0);
  w.str(context.fn);
  w.str(context.requestId);
  w.u32(HOST_OPS.indexOf(request.op));
  switch (request.op) {
    case 'cacheGet':
    case 'getStaticFile':
      w.str(request.op === 'cacheGet' ? request.key : request.name);
      return;
    case 'cacheSet':
      w.str(request.key);
      w.bytes(request.value);
      w.i32(request.ttlSeconds);
      return;
    case 'fetchUrl':
      w.i32(request.method);
      w.str(request.url);
      w.bytes(request.body);
      return;
    case 'graphqlQuery':
      w.str(request.endpoint);
      w.str(request.query);
      return;
    case 'dbExec':
      w.i32(request.queryType);
      w.str(request.name);
      w.u32(request.variables.length);
      for (const variable of request.variables) w.str(variable);
      return;
  }
}

/** Reads the rest of a host call record (main thread), after {@link readHeader}. */
export function readHostCall(r: RecordReader): HostCallMessage {
  const context = { fn: r.str(), requestId: r.str() };
  const op = HOST_OPS[r.u32()];
  const host = (request: HostRequest): HostCallMessage => ({ type: 'host', request, context });
  switch (op) {
    case 'cacheGet':
      return host({ op, key: r.str() });
    case 'getStaticFile':
      return host({ op, name: r.str() });
    case 'cacheSet':
      return host({ op, key: r.str(), value: r.bytes(), ttlSeconds: r.i32() });
    case 'fetchUrl':
      return host({ op, method: r.i32(), url: r.str(), body: r.bytes() });
    case 'graphqlQuery':
      return host({ op, endpoint: r.str(), query: r.str() });
    case 'dbExec': {
      const queryType = r.i32();
      const name = r.str();
      const variables: string[] = [];
      for (let n = r.u32(); n > 0; n -= 1) variables.push(r.str());
      return host({ op, queryType, name, variables });
    }
    default:
      throw new Error('call channel: an unknown host call');
  }
}

/** Writes a log line (worker). */
export function writeLog(w: RecordWriter, log: LogMessage): void {
  w.u32(RECORD.log);
  w.u32(0);
  w.str(log.level);
  w.str(log.message);
  w.str(JSON.stringify(log.fields));
}

/** Reads the rest of a log record (main thread), after {@link readHeader}. */
export function readLog(r: RecordReader): LogMessage {
  return { type: 'log', level: r.str() as LogLevel, message: r.str(), fields: JSON.parse(r.str()) as LogFields };
}
