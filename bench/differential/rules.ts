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

/** The request line's version (`HTTP/1.1`), or '' when it has none. */
function versionOf(request: CorpusRequest): string {
  const line = request.raw.slice(0, request.raw.search(/\r?\n/));
  return /HTTP\/\d\.\d$/.exec(line)?.[0] ?? '';
}

/** Whether the text holds a `%` not followed by two hex digits. */
export function hasBadEscape(text: string): boolean {
  return /%(?![0-9a-fA-F]{2})/.test(text);
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

/** The values of a response header (raw, Latin-1), lower-case name. */
function header(response: RawResponse, name: string): string[] {
  return response.headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);
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
    id: 'http-version',
    kind: 'unexplained',
    reference: 'new (not in issue 15)',
    title: 'A request line with version `HTTP/2.0`: Atmo 505 (Go refuses the version), e2rx answers it as HTTP/1.1',
    explanation: "Go's server answers 505 `unsupported protocol version` to an HTTP/1.x connection that names HTTP/2.0; Node's parser accepts any `HTTP/d.d`. Proposal: a deviation (a client never sends this), or answer 505 as Go did.",
    matches: (pair) => versionOf(pair.request) === 'HTTP/2.0' && pair.atmo.status === 505,
  },
  {
    id: 'request-line-lenient',
    kind: 'open',
    reference: 'issue 15 item 13',
    title: 'A request line with an extra raw space, or without a version: Atmo 400, e2rx answers it',
    explanation: "Go's parser requires exactly `METHOD SP target SP HTTP/x.y`; Node's parser tolerates a doubled space and a missing version (HTTP/0.9 style).",
    matches: (pair) => (/^\S+ {2}|^\S+ \S+ {2}/.test(pair.request.raw) || versionOf(pair.request) === '') && pair.atmo.status === 400 && pair.e2rx.status !== 400,
  },
  {
    id: 'parser-strict',
    kind: 'unexplained',
    reference: 'new (not in issue 15)',
    title: "Requests Node's HTTP parser refuses and Go's accepted: LF-only line ends, `Content-Length` with `Transfer-Encoding: chunked`, obsolete header line folding, a method that is not an upper-case HTTP method (`get`, `FOO`)",
    explanation:
      "e2rx answers 400 (llhttp's strict parsing; Content-Length with chunked and bare LF are request-smuggling vectors); Atmo answered them (200, or 405 for an unknown method). Proposal: a deviation (a hazard Atmo's Go version allowed), recorded in docs/deviations.md.",
    matches: (pair) => pair.e2rx.status === 400 && pair.atmo.status !== 400 && (pair.request.family === 'request-line' || /obsolete line folding/.test(pair.request.variant)),
  },
  {
    id: 'parse-error-text',
    kind: 'unexplained',
    reference: 'new (not in issue 15)',
    title: "A request both servers refuse before routing: Go's text body (`400 Bad Request…`, text/plain) against Node's empty body",
    explanation:
      "Same status; the body of a refusal by the HTTP parser differs (Go: `400 Bad Request: invalid header name`, e2rx: empty, no Content-Type). No app sees these requests. Proposal: add to deviation 7 (error bodies), or answer the JSON body there too.",
    matches: (pair) => !pair.difference.status && pair.atmo.status >= 400 && pair.e2rx.body === '' && /^\d{3} [A-Za-z]/.test(text(pair.atmo)),
  },
  {
    id: 'raw-utf8-target',
    kind: 'open',
    reference: 'issue 15 item 7',
    title: 'Raw (unencoded) UTF-8 bytes in the request target: Atmo routes the request, e2rx answers 400 with an empty body',
    explanation: "Node's parser refuses bytes above 0x7F in the request target; Go's accepted them (and escaped them in a redirect's Location).",
    matches: (pair) => /[\x80-\xff]/.test(targetOf(pair.request)) && pair.e2rx.status === 400 && pair.atmo.status !== 400,
  },
  {
    id: 'header-size',
    kind: 'open',
    reference: 'issue 15 item 8',
    title: 'Request headers over 16 KiB in total: Atmo answers (Go allows 1 MB), e2rx 431 with an empty body',
    explanation: "Node's default `maxHeaderSize` is 16 KiB.",
    matches: (pair) => pair.e2rx.status === 431 && pair.atmo.status !== 431,
  },
  {
    id: 'redirect-canonical',
    kind: 'open',
    reference: 'issue 15 item 6',
    title: 'A path that is not canonical (trailing slash, case, `//`, `.`/`..` segments): Atmo redirects (301; 307 for non-GET) with `Location`, e2rx does not',
    explanation: "httprouter's RedirectTrailingSlash and RedirectFixedPath (CleanPath, then a case-insensitive lookup) answered a redirect to the route's canonical path.",
    matches: (pair) => (pair.atmo.status === 301 || pair.atmo.status === 307 || pair.atmo.status === 308) && header(pair.atmo, 'location').length > 0 && pair.e2rx.status !== pair.atmo.status,
  },
  {
    id: 'encoded-slash',
    kind: 'open',
    reference: 'issue 15 item 1',
    title: 'An encoded slash (`%2F`) in the path: Atmo routes on the decoded path (`/tinygo/req/a%2Fb` is 404, `/tinygo%2Freq/x` is routed), e2rx on the raw one',
    explanation: 'Go decodes the path before httprouter sees it, so `%2F` is a segment separator there.',
    matches: (pair) => /%2f/i.test(pathOf(pair.request)) && pair.difference.status,
  },
  {
    id: 'bad-escape-path',
    kind: 'open',
    reference: 'issue 15 item 14',
    title: 'An invalid escape (`%zz`, a lone `%`) in the path: Atmo 400 (Go refuses to parse the URL), e2rx 404',
    explanation: "Go's url.ParseRequestURI fails on an invalid escape in the path, so the server answers 400 before routing.",
    matches: (pair) => hasBadEscape(pathOf(pair.request)) && pair.atmo.status === 400 && pair.e2rx.status !== 400,
  },
  {
    id: 'invalid-utf8-path',
    kind: 'open',
    reference: 'issue 15 item 3',
    title: 'A path whose escapes decode to bytes that are not UTF-8 (`%FF`, `%C3`): Atmo routes it (200, 405), e2rx 404',
    explanation: 'Go routes on the decoded bytes whatever they are; find-my-way refuses a parameter that does not decode as UTF-8.',
    matches: (pair) => decodesToInvalidUtf8(pathOf(pair.request)) && pair.difference.status,
  },
  {
    id: 'empty-parameter',
    kind: 'unexplained',
    reference: 'new (not in issue 15)',
    title: 'An empty path parameter (`/tinygo/req/`): Atmo 404 (httprouter never matches an empty `:param`), e2rx routes it with an empty value',
    explanation: 'find-my-way matches `/tinygo/req/` to `/tinygo/req/:foobar` with `foobar` empty; httprouter never matched an empty parameter. Proposal: match Atmo (an app may rely on the 404).',
    matches: (pair) => /^\/tinygo\/req\/$/.test(pathOf(pair.request)) && pair.atmo.status === 404 && pair.e2rx.status !== 404,
  },
  {
    id: 'options-asterisk',
    kind: 'unexplained',
    reference: 'new (not in issue 15)',
    title: '`OPTIONS *`: Atmo 200 (Go answers it itself), e2rx 404',
    explanation: "Go's server answers `OPTIONS *` with 200 and no body before any handler. Proposal: answer 200 as Go did.",
    matches: (pair) => targetOf(pair.request) === '*' && methodOf(pair.request) === 'OPTIONS',
  },
  {
    id: 'allow-order',
    kind: 'unexplained',
    reference: 'new (issue 15 item 4, follow-up)',
    title: "The `Allow` header of a 405 or an OPTIONS answer lists the same methods in another order: Atmo sorts them (`DELETE, GET, OPTIONS`), e2rx keeps the Directive's order (`GET, DELETE, OPTIONS`)",
    explanation: "httprouter's `allowed()` sorts the methods, OPTIONS included, by byte order. The rest of these answers differ only as deviation 7 says (error body format).",
    matches: (pair) => {
      const allow = pair.difference.headers.find((difference) => difference.name === 'allow');
      if (allow === undefined || pair.difference.status) return false;
      const sorted = (values: readonly string[]): string => values.join(',').split(/,\s*/).sort().join(',');
      return sorted(allow.atmo) === sorted(allow.e2rx) && headersOnly(pair, ['allow', ...ERROR_FORMAT_HEADERS]) && (!pair.difference.body || e2rxJsonError(pair));
    },
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
    kind: 'open',
    reference: 'issue 15 item 14',
    title: 'Error messages of traps and outbound failures: `failed to exec.Do: wasm execution error: …` vs `<fqfn>: wasm trap: unreachable …`; `dial tcp …: connect: connection refused` vs `connect ECONNREFUSED …`; `unsupported protocol scheme ""` vs `invalid URL`',
    explanation: 'Same status and JSON shape; the message text differs.',
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

