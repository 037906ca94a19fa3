/**
 * The rule table that explains a difference between Atmo and e2rx: each rule names what it matches, why the two
 * differ, and what kind of difference it is. A difference no rule matches is *unexplained*: the goal of the run is
 * none. Rules are tried in order; the first that matches wins.
 */
import { bodyText, statusOf, type Difference } from './compare.js';
import type { CorpusRequest } from './corpus.js';
import type { RawResponse } from './raw-http.js';

/**
 * What kind of difference a rule explains:
 * - `deviation`: e2rx differs on purpose, documented in docs/deviations.md (the rule names the number);
 * - `atmo-bug`: Atmo's answer is a bug or a Go-version quirk no app relies on, recorded in docs/compatibility.md;
 * - `open`: a known difference of issue 15 (the rule names the item) that is not yet matched nor documented;
 * - `unexplained`: found by this run, described (with a proposal) but neither matched nor documented yet. A difference
 *   no rule matches is unexplained too, grouped by its shape.
 */
export type RuleKind = 'deviation' | 'atmo-bug' | 'open' | 'unexplained';

/** One request, both answers, and how they differ. */
export interface Pair {
  readonly request: CorpusRequest;
  readonly atmo: RawResponse;
  readonly e2rx: RawResponse;
  readonly difference: Difference;
}

/** One rule of the table. */
export interface Rule {
  /** A short stable id (`static-names`), the key of its group in the summary. */
  readonly id: string;
  readonly kind: RuleKind;
  /** Where it is recorded: `deviation 7`, `issue 15 item 10`. */
  readonly reference: string;
  /** What differs, in a line. */
  readonly title: string;
  /** Why (shown in docs/compatibility.md). */
  readonly explanation: string;
  matches(pair: Pair): boolean;
}

/** The request target (path and query), as Latin-1 bytes. */
export function targetOf(request: CorpusRequest): string {
  return request.raw.slice(0, request.raw.indexOf('\r\n')).split(' ')[1] ?? '';
}

/** The method of the request line. */
export function methodOf(request: CorpusRequest): string {
  return request.raw.slice(0, request.raw.indexOf(' '));
}

/** `atmo→e2rx` of the statuses (`404→200`). */
export function statuses(pair: Pair): string {
  return `${statusOf(pair.atmo)}→${statusOf(pair.e2rx)}`;
}

/** The body of the request, as Latin-1 bytes. */
function requestBody(request: CorpusRequest): string {
  return request.raw.slice(request.raw.indexOf('\r\n\r\n') + 4);
}

/** The body as text. */
function text(response: RawResponse): string {
  return bodyText(response, 100_000);
}

/** The path of the request target (before `?`). */
export function pathOf(request: CorpusRequest): string {
  return targetOf(request).split('?')[0] ?? '';
}

/** Whether the percent-decoding of `text` (Latin-1 bytes) is not valid UTF-8 (bad escapes left as they are). */
export function decodesToInvalidUtf8(text: string): boolean {
  const bytes = Buffer.from(text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}

/** Whether every header that differs is among `names`. */
function headersOnly(pair: Pair, names: readonly string[]): boolean {
  return pair.difference.headers.every((difference) => names.includes(difference.name));
}

/** Go's error answers: a text/plain body from http.Error (with `X-Content-Type-Options: nosniff`). */
const ERROR_FORMAT_HEADERS = ['content-type', 'x-content-type-options'];

/** Whether e2rx's error answer is its JSON `{"status","message"}` (or, to a HEAD request, no body). */
function e2rxJsonError(pair: Pair): boolean {
  return /^\{"status":\d+,"message":/.test(text(pair.e2rx)) || (pair.request.head && pair.e2rx.body === '');
}

/** The rule table, in the order tried: the stages a request goes through (parse, headers, routing, the module). */
export const RULES: readonly Rule[] = [
  {
    id: 'request-line-lenient',
    kind: 'deviation',
    reference: 'deviation 8b',
    title: 'A request line with a doubled space: Atmo 400, e2rx answers it (RFC 9112 §3 lets a server read the line by words)',
    explanation: "Go's parser requires exactly `METHOD SP target SP HTTP/x.y`; Node's reads words, and the method, target and version are read the same either way (issue 15 item 13).",
    matches: (pair) => /^\S+ {2}|^\S+ \S+ {2}/.test(pair.request.raw) && pair.atmo.status === 400 && pair.e2rx.status !== 400,
  },
  {
    id: 'parser-strict',
    kind: 'deviation',
    reference: 'deviation 8b',
    title: "Requests Node's HTTP parser refuses and Go's accepted: LF-only line ends, `Content-Length` with `Transfer-Encoding: chunked`, obsolete header line folding, a method that is not an upper-case HTTP method (`get`, `FOO`)",
    explanation: 'e2rx answers 400 naming the fault (llhttp parses strictly; `Content-Length` with chunked, bare LF and folding are request-smuggling vectors); Atmo answered them (200, or 405 for an unknown method).',
    matches: (pair) => pair.e2rx.status === 400 && pair.atmo.status !== 400 && (pair.request.family === 'request-line' || /obsolete line folding/.test(pair.request.variant)),
  },
  {
    id: 'raw-utf8-target',
    kind: 'deviation',
    reference: 'deviation 8a',
    title: 'Raw (unencoded) UTF-8 bytes in the request target: Atmo routes the request, e2rx answers 400 saying to percent-encode them',
    explanation: "Node's parser refuses bytes above 0x7F in the request target before e2rx sees the request (issue 15 item 7).",
    matches: (pair) => /[\x80-\xff]/.test(targetOf(pair.request)) && pair.e2rx.status === 400 && pair.atmo.status !== 400,
  },
  {
    id: 'invalid-utf8',
    kind: 'deviation',
    reference: 'deviation 8c',
    title: "A path whose escapes decode to bytes that are not UTF-8 (`%FF`, `%C3`): routed as on Atmo, but the parameter (and a redirect's `Location`) reads U+FFFD",
    explanation: "Go handed the raw bytes to the function; e2rx's request fields are text (issue 15 item 3).",
    matches: (pair) => decodesToInvalidUtf8(pathOf(pair.request)) && !pair.difference.status,
  },
  {
    id: 'metrics',
    kind: 'deviation',
    reference: 'deviation 30',
    title: 'e2rx serves `GET /metrics` (Prometheus); Atmo had no such route (404)',
    explanation: 'The HTTP metrics of deviation 30; OPTIONS and other methods on /metrics answer as for any route.',
    matches: (pair) => pathOf(pair.request) === '/metrics',
  },
  {
    id: 'health',
    kind: 'deviation',
    reference: 'deviation 27',
    title: '`GET /health` lists the connections: `{"healthy":true,"connections":{}}` (Atmo: `{"healthy":true}`)',
    explanation: 'Deviation 27 (readiness) and docs/reference/cli.md: the health answer lists each connection.',
    matches: (pair) => pathOf(pair.request) === '/health' && methodOf(pair.request) === 'GET' && !pair.difference.status && headersOnly(pair, []),
  },
  {
    id: 'static-names',
    kind: 'deviation',
    reference: 'deviation 35',
    title: 'A static file name still `static/…` once the first `static/` is stripped (`static/static/inner.txt`): Atmo found it in the bundle\'s list, then read the wrong entry (an empty 200); e2rx reads the file the name says',
    explanation: 'Atmo\'s bundle reader saw the `static/` prefix already there and did not add its own; the other names are read as Atmo read them (one `static/`, `/` and `./` stripped, then the exact name).',
    matches: (pair) => pair.request.family === 'static' && pair.difference.body && pair.atmo.status === 200,
  },
  {
    id: 'response-header-bytes',
    kind: 'deviation',
    reference: 'deviation 32',
    title: 'A response header set by a module with NUL (or another control character) or bytes that are not UTF-8: Atmo sends the bytes as they are; e2rx drops the header (NUL) or sends U+FFFD',
    explanation: 'HTTP clients refuse a NUL in a header (the whole response fails); CR/LF, tab and UTF-8 go out as Atmo sent them.',
    matches: (pair) => pair.request.family === 'resp-header' && headersOnly(pair, ['x-reactr']) && !pair.difference.status,
  },
  {
    id: 'fetch-url',
    kind: 'deviation',
    reference: 'deviation 33',
    title: 'A raw space in the query of a `fetch_url` URL: Atmo wrote it raw into the request line (the target answered 400); e2rx sends `%20`',
    explanation: 'Everything else of the URL goes out as Go\'s url.Parse left it, and its errors read the same.',
    matches: (pair) => pair.request.family === 'fetch' && (pair.difference.body || pair.difference.status) && /\?[^#\r\n]* /.test(requestBody(pair.request)),
  },
  {
    id: 'error-texts',
    kind: 'deviation',
    reference: 'deviation 8d',
    title: 'The message of a trap: `failed to exec.Do: wasm execution error: …` (Atmo) against `<fqfn>: wasm trap: unreachable` (e2rx names the function)',
    explanation: "Same status and JSON shape; the message text differs (issue 15 item 14). A failed lookup's text is deviation 8e; a refused connection reads as Go's.",
    matches: (pair) => !pair.difference.status && pair.atmo.status >= 500 && /^\{"status":\d+,"message":/.test(text(pair.atmo)) && /^\{"status":\d+,"message":/.test(text(pair.e2rx)) && headersOnly(pair, []),
  },
  {
    id: 'error-body-json',
    kind: 'deviation',
    reference: 'deviation 7',
    title: 'Error answers are JSON `{"status","message"}` (Atmo: Go\'s and httprouter\'s text bodies, `404 page not found`, `Method Not Allowed`, with `X-Content-Type-Options: nosniff`)',
    explanation: 'Same status; e2rx answers every error as its JSON (application/json), where Atmo answered the router\'s plain text for unknown routes and methods.',
    matches: (pair) => !pair.difference.status && pair.atmo.status >= 400 && e2rxJsonError(pair) && headersOnly(pair, ERROR_FORMAT_HEADERS),
  },
];

/** The rule that explains a pair, or undefined when none does. */
export function classify(pair: Pair, rules: readonly Rule[] = RULES): Rule | undefined {
  return rules.find((rule) => rule.matches(pair));
}

