/**
 * Comparing Atmo's and e2rx's responses to the same request: status (or the failure instead of one), body bytes, and
 * headers by name (case-insensitive, as HTTP names are), each name's values in order. Headers that legitimately differ
 * between two servers, or that only frame the message, are left out ({@link IGNORED_HEADERS}).
 */
import type { RawResponse } from './raw-http.js';

/** Header names not compared, with the reason (docs/compatibility.md lists them). */
export const IGNORED_HEADERS: Readonly<Record<string, string>> = {
  date: 'the time of the response',
  'content-length': 'framing: the body is compared byte for byte instead',
  'transfer-encoding': 'framing: the body is compared after removing the chunked encoding',
  connection: 'framing: every request asks for Connection: close; Node answers keep-alive headers on some',
  'keep-alive': 'framing (as Connection)',
  'x-request-id': 'a fresh id per request (e2rx sends one on every response, deviation 30)',
  'x-atmo-requestid': 'a fresh id per request',
  'x-suborbital-requestid': 'a fresh id per request',
};

/** One header name whose values differ. */
export interface HeaderDifference {
  /** Lower-case name. */
  readonly name: string;
  /** The values Atmo sent (raw bytes as Latin-1), empty when it sent none. */
  readonly atmo: readonly string[];
  readonly e2rx: readonly string[];
}

/** How two responses differ; `same` when they do not. */
export interface Difference {
  readonly same: boolean;
  readonly status: boolean;
  readonly body: boolean;
  readonly headers: readonly HeaderDifference[];
}

/** The compared headers of a response: lower-case name → values in order. */
export function comparedHeaders(response: RawResponse): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const [name, value] of response.headers) {
    const key = name.toLowerCase();
    if (key in IGNORED_HEADERS) continue;
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  return headers;
}

/** The status as compared: the code, or the failure when no response came. */
export function statusOf(response: RawResponse): string {
  return response.status === 0 ? `no response (${response.failure ?? 'closed'})` : String(response.status);
}

/** Compares Atmo's response with e2rx's. */
export function compareResponses(atmo: RawResponse, e2rx: RawResponse): Difference {
  const status = statusOf(atmo) !== statusOf(e2rx);
  const body = atmo.body !== e2rx.body;
  const left = comparedHeaders(atmo);
  const right = comparedHeaders(e2rx);
  const headers: HeaderDifference[] = [];
  for (const name of [...new Set([...left.keys(), ...right.keys()])].sort()) {
    const a = left.get(name) ?? [];
    const b = right.get(name) ?? [];
    if (a.length !== b.length || a.some((value, i) => value !== b[i])) headers.push({ name, atmo: a, e2rx: b });
  }
  return { same: !status && !body && headers.length === 0, status, body, headers };
}

/** A body as readable text (UTF-8, cut at `limit` characters). */
export function bodyText(response: RawResponse, limit = 160): string {
  const text = Buffer.from(response.body, 'base64').toString('utf8');
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} characters)` : text;
}
