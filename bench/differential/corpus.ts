/**
 * The seeded request corpus of the differential run: every route and method of the bundle, with the path, parameter,
 * query, header, body, request-line, static-name and outbound-URL shapes that issue 15 found differing. Each family
 * lists its edge values; every edge value is sent at least once, then the families' products are sampled (seeded)
 * up to the wanted count. The same seed gives the same requests, byte for byte.
 */
import { bundleRoutes } from './bundle.js';

/** One request of the corpus. */
export interface CorpusRequest {
  /** Its position in the corpus (the order in which it is sent). */
  readonly id: number;
  /** The family: `routing`, `query`, `body`, `resp-header`, `static`, `fetch`, `header`, `request-line`, `route`. */
  readonly family: string;
  /** The handler route it aims at (`GET /tinygo/req/:foobar`), or `-` when none. */
  readonly route: string;
  /** The varied part, readable: what makes this request what it is. */
  readonly variant: string;
  /** The bytes sent, as Latin-1 (one character per byte). */
  readonly raw: string;
  /** Whether it is a HEAD request (no body in the response). */
  readonly head: boolean;
}

/** The outbound targets the fetch family uses: the echo server's port and a port nothing listens on. */
export interface FetchPorts {
  readonly target: number;
  readonly refused: number;
}

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** UTF-8 bytes of a string, as a Latin-1 string (one character per byte). */
export function utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Request parts before they become bytes. */
interface Parts {
  readonly method: string;
  readonly target: string;
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string;
  /** Leave out `Host`. */
  readonly noHost?: boolean;
  readonly version?: string;
}

/** The bytes of a request (Latin-1 string): request line, Host, the headers, Connection: close, Content-Length, body. */
export function rawRequest(parts: Parts): string {
  const body = parts.body ?? '';
  const lines = [`${parts.method} ${parts.target} ${parts.version ?? 'HTTP/1.1'}`];
  if (parts.noHost !== true) lines.push('Host: 127.0.0.1');
  for (const [name, value] of parts.headers ?? []) lines.push(`${name}: ${value}`);
  lines.push('Connection: close');
  const chunked = (parts.headers ?? []).some(([name]) => name.toLowerCase() === 'transfer-encoding');
  if (!chunked && (body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(parts.method))) lines.push(`Content-Length: ${body.length}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const ROUTING_PARAMS: readonly [string, string][] = [
  ['plain', 'abc'],
  ['encoded slash', 'a%2Fb'],
  ['encoded slash (lower-case)', 'a%2fb'],
  ['100 characters', 'p'.repeat(100)],
  ['101 characters', 'p'.repeat(101)],
  ['2,000 characters', 'q'.repeat(2_000)],
  ['%FF (not UTF-8)', '%FF'],
  ['%C3 (truncated UTF-8)', '%C3'],
  ['%C3%A9 (é)', 'caf%C3%A9'],
  ['raw UTF-8', utf8('café')],
  ['raw UTF-8 (CJK)', utf8('日本')],
  ['bad escape %zz', '%zz'],
  ['lone %', 'a%'],
  ['%20', 'a%20b'],
  ['plus', 'a+b'],
  ['semicolon', 'a;b'],
  ['dot', '.'],
  ['dot dot', '..'],
  ['encoded dot dot', '%2e%2e'],
  ['tilde', '~user'],
  ['encoded #', 'a%23b'],
  ['%00', 'a%00b'],
  ['%0A', 'a%0Ab'],
  ['encoded ?', 'a%3Fb'],
];

const ROUTING_SHAPES: readonly [string, (param: string) => string][] = [
  ['canonical', (p) => `/tinygo/req/${p}`],
  ['trailing slash', (p) => `/tinygo/req/${p}/`],
  ['upper-case path', (p) => `/TINYGO/req/${p}`],
  ['mixed-case path', (p) => `/Tinygo/Req/${p}`],
  ['double leading slash', (p) => `//tinygo/req/${p}`],
  ['double inner slash', (p) => `/tinygo//req/${p}`],
  ['dot-dot segment', (p) => `/x/../tinygo/req/${p}`],
  ['dot segment', (p) => `/tinygo/./req/${p}`],
  ['extra segment', (p) => `/tinygo/req/${p}/extra`],
  ['with query', (p) => `/tinygo/req/${p}?x=1`],
  ['catch-all', (p) => `/files/${p}`],
  ['catch-all, deeper', (p) => `/files/a/b/${p}`],
  ['encoded slash in prefix', (p) => `/tinygo%2Freq/${p}`],
];

const ROUTING_FIXED: readonly [string, string][] = [
  ['empty parameter', '/tinygo/req/'],
  ['no parameter', '/tinygo/req'],
  ['catch-all, empty', '/files/'],
  ['catch-all, bare', '/files'],
  ['health', '/health'],
  ['no route', '/nowhere'],
  ['root', '/'],
  ['metrics', '/metrics'],
];

const METHODS = ['GET', 'DELETE', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'] as const;

const QUERIES: readonly [string, string][] = [
  ['plain', 'message=hello'],
  ['escaped UTF-8', 'message=caf%C3%A9'],
  ['raw UTF-8', `message=${utf8('café')}`],
  ['raw UTF-8 (CJK)', `message=${utf8('日本')}`],
  ['truncated UTF-8 escape', 'message=%C3'],
  ['%FF', 'message=%FF'],
  ['bad escape, then a good pair', 'message=%zz&message=ok'],
  ['bad escape in another pair', 'x=%zz&message=ok'],
  ['semicolon pair', 'a;b&message=x'],
  ['semicolon in value', 'message=x;y'],
  ['repeated key', 'message=1&message=2'],
  ['plus', 'message=a+b'],
  ['%2B', 'message=a%2Bb'],
  ['empty value', 'message='],
  ['key only', 'message'],
  ['empty query', ''],
  ['fragment', 'message=x#frag'],
  ['lone %', 'message=%'],
  ['upper-case key', 'MESSAGE=x'],
  ['long value', `message=${'v'.repeat(3_000)}`],
  ['%00', 'message=a%00b'],
  ['%26', 'message=a%26b'],
  ['empty key first', '=x&message=y'],
  ['trailing &', 'message=a&'],
  ['leading &&', '&&message=z'],
  ['escaped key', '%6Dessage=enc'],
  ['space escaped %20', 'message=a%20b'],
  ['question mark in value', 'message=a?b'],
];

const BODIES: readonly [string, string][] = [
  ['empty', ''],
  ['ASCII', 'world'],
  ['UTF-8', utf8('café 日本')],
  ['invalid UTF-8', '\xff\xfe\xfd'],
  ['NUL', 'a\x00b'],
  ['JSON', '{"username":"ada","baz":1}'],
  ['JSON array', '[1,2,3]'],
  ['64 KiB', 'b'.repeat(65_536)],
  ['semicolon', ';y'],
  ['bad escape', '%zz'],
  ['newlines', 'line one\nline two\r\n'],
  ['URL', 'https://example.com/a?b=c'],
];

const BODY_ROUTES: readonly [string, string][] = [
  ['POST', '/hello/tinygo'],
  ['POST', '/hello/rust'],
  ['POST', '/hello/as'],
  ['POST', '/content-type'],
  ['POST', '/cache/tinygo'],
  ['POST', '/cache/as'],
  ['GET', '/cache/as'],
  ['POST', '/cache/rust'],
  ['GET', '/cache/rust'],
  ['POST', '/log'],
  ['POST', '/as/req'],
  ['GET', '/err'],
  ['GET', '/reqset'],
  ['GET', '/static/tinygo'],
];

const RESPONSE_HEADER_VALUES: readonly [string, string][] = [
  ['plain', 'plain'],
  ['newline', 'two\nlines'],
  ['CR LF', 'two\r\nlines'],
  ['CR', 'cr\ronly'],
  ['header injection', 'x\r\nX-Injected: 1'],
  ['non-ASCII (Latin)', utf8('café')],
  ['non-ASCII (CJK)', utf8('日本')],
  ['invalid UTF-8', '\xff'],
  ['tab', 'a\tb'],
  ['empty', ''],
  ['leading space', ' lead'],
  ['trailing space', 'trail '],
  ['NUL', 'a\x00b'],
  ['8 KiB', 'h'.repeat(8_192)],
  ['JSON', '{"a":1}'],
];

const STATIC_NAMES: readonly string[] = [
  'important.md',
  './important.md',
  '/important.md',
  'static/important.md',
  '././important.md',
  '//important.md',
  '/static/important.md',
  './static/important.md',
  'static/./important.md',
  'static/static/inner.txt',
  'static/inner.txt',
  'inner.txt',
  'sub/nested.txt',
  'sub/./nested.txt',
  'sub//nested.txt',
  'sub/../important.md',
  '../important.md',
  'with space.txt',
  utf8('café.txt'),
  '.hidden',
  'missing.md',
  '',
  '.',
  'sub',
  'sub/',
  'static',
  'IMPORTANT.md',
  'important.md ',
  '%2e/important.md',
  'important.md\n',
];

/** The URL shapes of the fetch family, for the echo server on `ports.target`. */
function fetchUrls(ports: FetchPorts): readonly [string, string][] {
  const base = `http://127.0.0.1:${ports.target}`;
  return [
    ['plain', `${base}/echo`],
    ['dot-dot segment', `${base}/echo/../echo/dots`],
    ['dot segment', `${base}/echo/./dot`],
    ['query', `${base}/echo?q=1&r=2`],
    ['raw space in query', `${base}/echo?r=a b`],
    ['raw space in path', `${base}/echo/with space`],
    ['leading space', ` ${base}/echo`],
    ['trailing newline', `${base}/echo\n`],
    ['escaped UTF-8', `${base}/caf%C3%A9`],
    ['raw UTF-8', utf8(`${base}/café`)],
    ['fragment', `${base}/echo#frag`],
    ['no path', base],
    ['upper-case scheme', `HTTP://127.0.0.1:${ports.target}/upper`],
    ['localhost', `http://localhost:${ports.target}/echo`],
    ['refused port', `http://127.0.0.1:${ports.refused}/echo`],
    ['not a URL', 'not a url'],
    ['empty', ''],
    ['other scheme', 'ftp://127.0.0.1/file'],
    ['bad escape in path', `${base}/%zz`],
    ['encoded slash', `${base}/a%2Fb`],
    ['user info', `http://user:pw@127.0.0.1:${ports.target}/auth`],
    ['bad escape in query', `${base}/echo?x=%zz`],
    ['status 404', `${base}/status/404`],
    ['status 500', `${base}/status/500`],
    ['redirect', `${base}/redirect`],
    ['backslash', `${base}\\echo`],
  ];
}

const REQUEST_HEADERS: readonly [string, (readonly [string, string])[]][] = [
  ['none', []],
  ['8 KiB header', [['X-Big', 'h'.repeat(8_192)]]],
  ['17 KiB header', [['X-Big', 'h'.repeat(17 * 1024)]]],
  ['100 KiB of headers', Array.from({ length: 10 }, (_, i): [string, string] => [`X-Big-${i}`, 'h'.repeat(10_240)])],
  ['200 headers', Array.from({ length: 200 }, (_, i): [string, string] => [`X-Many-${i}`, 'v'])],
  ['non-ASCII value', [['X-Name', utf8('café')]]],
  ['Latin-1 value', [['X-Name', 'caf\xe9']]],
  ['empty value', [['X-Empty', '']]],
  ['lower-case names', [['x-lower', 'a'], ['content-type', 'text/plain']]],
  ['X-Request-ID', [['X-Request-ID', 'diff-run-request-1']]],
  ['Expect: 100-continue', [['Expect', '100-continue']]],
  ['obsolete line folding', [['X-Folded', 'a\r\n b']]],
  ['space before colon', [['X-Space ', 'a']]],
  ['repeated header', [['X-Rep', 'a'], ['X-Rep', 'b']]],
  ['Accept-Encoding gzip', [['Accept-Encoding', 'gzip']]],
];

/** One family: its edge cases (each sent once) and a sampler for the rest. */
interface Family {
  readonly name: string;
  readonly edges: readonly Omit<CorpusRequest, 'id'>[];
  sample(random: () => number): Omit<CorpusRequest, 'id'>;
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

function entry(family: string, route: string, variant: string, parts: Parts): Omit<CorpusRequest, 'id'> {
  return { family, route, variant, raw: rawRequest(parts), head: parts.method === 'HEAD' };
}

/** The families of the corpus. */
function families(ports: FetchPorts): readonly Family[] {
  const routing = (method: string, shape: readonly [string, (p: string) => string], param: readonly [string, string]): Omit<CorpusRequest, 'id'> =>
    entry('routing', `${method} ${shape[0].startsWith('catch-all') ? '/files/*path' : '/tinygo/req/:foobar'}`, `${method} ${shape[0]}, ${param[0]}`, {
      method,
      target: shape[1](param[1]),
      ...(['POST', 'PUT', 'PATCH'].includes(method) ? { body: 'x' } : {}),
    });
  const fixed = ROUTING_FIXED.flatMap(([name, target]) => METHODS.map((method) => entry('routing', '-', `${method} ${name}`, { method, target })));
  const canonical = ROUTING_SHAPES[0] as readonly [string, (p: string) => string];
  const plain = ROUTING_PARAMS[0] as readonly [string, string];
  const query = (route: string, variant: readonly [string, string], method = 'GET'): Omit<CorpusRequest, 'id'> =>
    entry('query', `GET ${route}`, `${method} ${variant[0]}`, { method, target: variant[1] === '' ? route : `${route}?${variant[1]}` });
  const body = (route: readonly [string, string], variant: readonly [string, string]): Omit<CorpusRequest, 'id'> =>
    entry('body', `${route[0]} ${route[1]}`, `body ${variant[0]}`, { method: route[0], target: route[1], body: variant[1] });
  const respHeader = (variant: readonly [string, string]): Omit<CorpusRequest, 'id'> =>
    entry('resp-header', 'POST /resp/tinygo', `X-Reactr ${variant[0]}`, { method: 'POST', target: '/resp/tinygo', body: variant[1] });
  const staticName = (name: string): Omit<CorpusRequest, 'id'> =>
    entry('static', 'POST /static/rust', `name ${JSON.stringify(Buffer.from(name, 'latin1').toString('utf8'))}`, { method: 'POST', target: '/static/rust', body: name });
  const urls = fetchUrls(ports);
  const fetchOne = (route: string, url: readonly [string, string]): Omit<CorpusRequest, 'id'> =>
    entry('fetch', `POST ${route}`, `URL ${url[0]}`, { method: 'POST', target: route, body: url[1] });
  const header = (route: readonly [string, string, string], variant: readonly [string, readonly (readonly [string, string])[]]): Omit<CorpusRequest, 'id'> =>
    entry('header', `${route[0]} ${route[2]}`, `headers ${variant[0]}`, { method: route[0], target: route[1], headers: variant[1], ...(route[0] === 'POST' ? { body: 'hi' } : {}) });
  const headerRoutes: readonly [string, string, string][] = [
    ['GET', '/tinygo/req/abc', '/tinygo/req/:foobar'],
    ['POST', '/hello/tinygo', '/hello/tinygo'],
    ['GET', '/nowhere', '(no route)'],
  ];
  const requestLines: Omit<CorpusRequest, 'id'>[] = [
    ['extra space before target', 'GET  /tinygo/req/abc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['extra space before version', 'GET /tinygo/req/abc  HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['raw space in target', 'GET /tinygo/req/a b HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['tab in target', 'GET /tinygo/req/a\tb HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['lower-case method', 'get /tinygo/req/abc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['unknown method', 'FOO /tinygo/req/abc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['HTTP/1.0 without Host', 'GET /tinygo/req/abc HTTP/1.0\r\n\r\n'],
    ['HTTP/1.1 without Host', 'GET /tinygo/req/abc HTTP/1.1\r\nConnection: close\r\n\r\n'],
    ['absolute-form target', 'GET http://127.0.0.1/tinygo/req/abc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['HTTP/2.0 version', 'GET /tinygo/req/abc HTTP/2.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['no version', 'GET /tinygo/req/abc\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['target without slash', 'GET tinygo/req/abc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['control character in target', 'GET /tinygo/req/a\x01b HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['LF-only line ends', 'GET /tinygo/req/abc HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n'],
    ['chunked body', 'POST /hello/tinygo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n3\r\n th\r\n0\r\n\r\n'],
    ['two Content-Lengths that differ', 'POST /hello/tinygo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi!'],
    ['Content-Length and chunked', 'POST /hello/tinygo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n'],
    ['header without colon', 'GET /tinygo/req/abc HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColon\r\nConnection: close\r\n\r\n'],
    ['POST without Content-Length', 'POST /hello/tinygo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
  ].map(([variant, raw]) => ({ family: 'request-line', route: '-', variant: variant as string, raw: raw as string, head: false }));
  return [
    {
      name: 'routing',
      edges: [
        ...ROUTING_PARAMS.map((param) => routing('GET', canonical, param)),
        ...ROUTING_SHAPES.map((shape) => routing('GET', shape, plain)),
        ...METHODS.map((method) => routing(method, canonical, plain)),
        ...fixed,
      ],
      sample: (random) => routing(pick(random, METHODS), pick(random, ROUTING_SHAPES), pick(random, ROUTING_PARAMS)),
    },
    {
      name: 'query',
      edges: ['/query/tinygo', '/query/rust'].flatMap((route) => QUERIES.map((variant) => query(route, variant))),
      sample: (random) => query(pick(random, ['/query/tinygo', '/query/rust']), pick(random, QUERIES), pick(random, ['GET', 'GET', 'GET', 'HEAD'])),
    },
    {
      name: 'body',
      edges: BODY_ROUTES.flatMap((route) => BODIES.map((variant) => body(route, variant))),
      sample: (random) => body(pick(random, BODY_ROUTES), pick(random, BODIES)),
    },
    { name: 'resp-header', edges: RESPONSE_HEADER_VALUES.map(respHeader), sample: (random) => respHeader(pick(random, RESPONSE_HEADER_VALUES)) },
    { name: 'static', edges: [...STATIC_NAMES.map(staticName)], sample: (random) => staticName(pick(random, STATIC_NAMES)) },
    {
      name: 'fetch',
      edges: ['/fetch/as', '/fetch/tinygo'].flatMap((route) => urls.map((url) => fetchOne(route, url))),
      sample: (random) => fetchOne(pick(random, ['/fetch/as', '/fetch/tinygo']), pick(random, urls)),
    },
    {
      name: 'header',
      edges: headerRoutes.flatMap((route) => REQUEST_HEADERS.map((variant) => header(route, variant))),
      sample: (random) => header(pick(random, headerRoutes), pick(random, REQUEST_HEADERS)),
    },
    { name: 'request-line', edges: requestLines, sample: (random) => pick(random, requestLines) },
  ];
}

/** How the sampled requests are shared among the families (weights). */
const FAMILY_WEIGHTS: Readonly<Record<string, number>> = { routing: 5, query: 3, body: 4, 'resp-header': 1, static: 1, fetch: 1, header: 1, 'request-line': 0.3 };

/**
 * The corpus: every family's edge cases, then seeded samples up to `count` requests (at least the edges), shuffled
 * with the same seed so that state-changing requests (the cache) interleave with reads.
 */
export function buildCorpus(seed: number, count: number, ports: FetchPorts): CorpusRequest[] {
  const random = seededRandom(seed);
  const all = families(ports);
  const requests: Omit<CorpusRequest, 'id'>[] = all.flatMap((family) => family.edges);
  const total = Object.values(FAMILY_WEIGHTS).reduce((sum, weight) => sum + weight, 0);
  while (requests.length < count) {
    let roll = random() * total;
    const family = all.find((candidate) => (roll -= FAMILY_WEIGHTS[candidate.name] ?? 0) < 0) ?? all[0];
    if (family === undefined) break;
    requests.push(family.sample(random));
  }
  for (let i = requests.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [requests[i], requests[j]] = [requests[j] as Omit<CorpusRequest, 'id'>, requests[i] as Omit<CorpusRequest, 'id'>];
  }
  return requests.map((request, id) => ({ id, ...request }));
}

/** Every route of the bundle that the corpus reaches (a check that no route is left out). */
export function coveredRoutes(corpus: readonly CorpusRequest[]): Set<string> {
  const routes = new Set(corpus.map((request) => request.route));
  return new Set(bundleRoutes().map(([method, resource]) => `${method} ${resource}`).filter((route) => routes.has(route)));
}
