/**
 * Small helpers for pipeline specs: requests, and results as short strings that marble diagrams can compare.
 *
 * @module
 */
import { map, type OperatorFunction } from 'rxjs';
import type { FunctionRequest } from '../runtime/request.js';
import type { RunResult } from '../steps/steps.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes as UTF-8 text. */
export function text(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : decoder.decode(bytes);
}

/**
 * A request for tests: strings are encoded; state values may be strings.
 *
 * @example
 * ```ts
 * testRequest({ method: 'POST', url: '/hello', body: 'world', state: { user: '{"id":1}' } });
 * ```
 */
export function testRequest(
  partial: Partial<Omit<FunctionRequest, 'body' | 'state'>> & { body?: string | Uint8Array; state?: Record<string, string | Uint8Array> } = {},
): FunctionRequest {
  const state: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(partial.state ?? {})) state[key] = typeof value === 'string' ? encoder.encode(value) : value;
  const body = partial.body ?? new Uint8Array();
  return {
    method: partial.method ?? 'POST',
    url: partial.url ?? '/',
    id: partial.id ?? 'test-request',
    body: typeof body === 'string' ? encoder.encode(body) : body,
    headers: partial.headers ?? {},
    params: partial.params ?? {},
    state,
    respHeaders: partial.respHeaders ?? {},
  };
}

/**
 * A run result as one short string: `ok <body>`, `error <code> <message>`, or `failure <message>`.
 */
export function summarizeResult(result: RunResult): string {
  if (result.kind === 'ok') return `ok ${text(result.body)}`;
  if (result.kind === 'runError') return `error ${result.error.code} ${result.error.message}`;
  return `failure ${result.error.message}`;
}

/** The operator form of {@link summarizeResult}. */
export function summarize(): OperatorFunction<RunResult, string> {
  return map(summarizeResult);
}
