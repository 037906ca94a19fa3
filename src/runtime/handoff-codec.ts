/**
 * Calls and their outcomes as ring records (see {@link Ring}): what crosses between the main thread and a worker
 * without structured cloning.
 *
 * A call carries what the guest can read: method, url, id, body, headers, params and state (response headers are
 * write-only for the guest: the worker starts from none). An outcome carries the request only when the guest changed
 * it (the invocation copies the request on its first change); the main thread then merges the response headers the
 * guest set into the caller's.
 *
 * @module
 */
import type { Failure, RunOutcome } from './outcome.js';
import type { RecordReader, RecordWriter } from './ring.js';
import type { FunctionRequest } from './request.js';

/** A call as the worker reads it. */
export interface CallRecord {
  readonly id: number;
  readonly name: string;
  readonly request: FunctionRequest;
}

/** An outcome as the main thread reads it: `request` is absent when the guest left the request unchanged. */
export interface ResultRecord {
  readonly id: number;
  readonly instances: number;
  readonly outcome: RunOutcome;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

function writeStrings(w: RecordWriter, map: Readonly<Record<string, string>>): void {
  const at = w.offset;
  w.u32(0);
  let n = 0;
  for (const key in map) {
    w.str(key);
    w.str(map[key] as string);
    n += 1;
  }
  w.buffer.writeUInt32LE(n, at);
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
  w.buffer.writeUInt32LE(n, at);
  writeStrings(w, respHeaders ? request.respHeaders : EMPTY);
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

/** Writes a call (main thread). */
export function writeCall(w: RecordWriter, id: number, name: string, request: FunctionRequest): void {
  w.u32(id);
  w.str(name);
  writeRequest(w, request, false);
}

/** Writes a control record (id 0): the worker takes the messages posted to it (registrations). */
export function writeControl(w: RecordWriter): void {
  w.u32(0);
}

/** Reads a call (worker); a control record reads as id 0. */
export function readCall(r: RecordReader): CallRecord {
  const id = r.u32();
  if (id === 0) return { id, name: '', request: undefined as unknown as FunctionRequest };
  const name = r.str();
  return { id, name, request: readRequest(r) };
}

const KIND = { output: 0, runError: 1, none: 2, failure: 3 } as const;

/** Writes an outcome (worker); `received` is the request the call started with. */
export function writeResult(w: RecordWriter, id: number, instances: number, outcome: RunOutcome, received: FunctionRequest): void {
  w.u32(id);
  w.u32(instances);
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
  const changed = outcome.request !== received;
  w.u32(changed ? 1 : 0);
  if (changed) writeRequest(w, outcome.request, true);
}

/** Reads an outcome (main thread); `sent` is the caller's request, which an unchanged outcome gets back. */
export function readResult(r: RecordReader, sent: (id: number) => FunctionRequest | undefined): ResultRecord {
  const id = r.u32();
  const instances = r.u32();
  const kind = r.u32();
  if (kind === KIND.failure) {
    const code = r.str() as Failure['code'];
    const message = r.str();
    const details = r.str();
    const failure: Failure = details === '' ? { code, message } : { code, message, details: JSON.parse(details) as Record<string, unknown> };
    return { id, instances, outcome: { kind: 'failure', failure } };
  }
  const output = kind === KIND.output ? r.bytes() : undefined;
  const runError = kind === KIND.runError ? { code: r.i32(), message: r.str() } : undefined;
  const original = sent(id);
  let request = original as FunctionRequest;
  if (r.u32() === 1) {
    request = readRequest(r);
    if (original !== undefined) request.respHeaders = { ...original.respHeaders, ...request.respHeaders };
  }
  if (output !== undefined) return { id, instances, outcome: { kind: 'output', output, request } };
  if (runError !== undefined) return { id, instances, outcome: { kind: 'runError', ...runError, request } };
  return { id, instances, outcome: { kind: 'none', request } };
}
