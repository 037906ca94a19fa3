/**
 * Headless mode (docs/reference/cli.md (`--headless`)): the request of a call to `POST /<identifier>/<namespace>/<fn>/<version>`.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { FunctionRequest } from '../runtime/request.js';
import { requestFromHttp } from './http.js';

const encoder = new TextEncoder();

/**
 * The request of a headless call: as for any HTTP request, plus state and params injected with the headers
 * `X-Atmo-State` / `X-Suborbital-State` and `X-Atmo-Params` / `X-Suborbital-Params` (JSON objects of strings; both
 * applied, Suborbital's last). A header that is not such an object is ignored.
 */
export function headlessRequest(incoming: IncomingMessage, body: Uint8Array, params: Record<string, string>): FunctionRequest {
  const request = requestFromHttp(incoming, body, params);
  const state: Record<string, Uint8Array> = {};
  const routeParams: Record<string, string> = {};
  for (const prefix of ['x-atmo', 'x-suborbital']) {
    for (const [key, value] of Object.entries(stringMap(request.headers[`${prefix}-state`]))) state[key] = encoder.encode(value);
    Object.assign(routeParams, stringMap(request.headers[`${prefix}-params`]));
  }
  return { ...request, state, params: routeParams };
}

function stringMap(header: string | undefined): Record<string, string> {
  if (!header) return {};
  try {
    const value: unknown = JSON.parse(header);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}
