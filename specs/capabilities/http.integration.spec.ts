import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_STATIC_FILES } from '../../src/app/static-files.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig, type HttpRules } from '../../src/directive/capability-config.js';
import type { HostCallResult } from '../../src/capabilities/host-services.js';
import { createHostServices, type CreateHostServicesOptions } from '../../src/capabilities/host-services-impl.js';
import type { DnsResolver, ResolvedAddress } from '../../src/capabilities/http-rules.js';
import type { DialOverride } from '../../src/capabilities/outbound-http.js';
import { startServer, type SeenRequest, type TestServer } from './support/http-server.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };
const bytes = (text: string) => new TextEncoder().encode(text);
const NO_BODY = new Uint8Array();

/** A documentation-free public address the fake names resolve to; the dial seam sends it to loopback. */
const PUBLIC_IP = '93.184.216.34';

function config(http: Omit<Partial<CapabilityConfig['http']>, 'rules'> & { rules?: Partial<HttpRules> } = {}, auth?: CapabilityConfig['auth']): CapabilityConfig {
  return {
    ...DEFAULT_CAPABILITIES,
    http: { ...DEFAULT_CAPABILITIES.http, ...http, rules: { ...DEFAULT_CAPABILITIES.http.rules, ...http.rules } },
    ...(auth === undefined ? {} : { auth }),
  };
}

/** Runs one fetch_url through fresh host services and closes them. */
async function fetchWith(
  cfg: CapabilityConfig,
  method: number,
  url: string,
  body: Uint8Array = NO_BODY,
  network?: CreateHostServicesOptions['network'],
): Promise<HostCallResult> {
  const services = createHostServices(cfg, { staticFiles: NO_STATIC_FILES, logger, ...(network === undefined ? {} : { network }) });
  try {
    return await services.fetchUrl(method, url, body, context);
  } finally {
    await services.close();
  }
}

const asText = (result: HostCallResult) => {
  if (result.kind !== 'data') throw new Error(`expected data, got ${JSON.stringify(result)}`);
  return new TextDecoder().decode(result.data);
};

/** A reply of the test servers, parsed: the echo server's {@link SeenRequest}, or the secret server's `{ secret, headers }`. */
type Reply = Partial<SeenRequest> & { readonly headers: SeenRequest['headers']; readonly secret?: boolean };
const asReply = (result: HostCallResult): Reply => JSON.parse(asText(result)) as Reply;

/** A resolver from a table of fake names, counting lookups. */
function fakeResolver(table: Record<string, string[] | (() => string[])>): DnsResolver & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    lookup(hostname) {
      lookups.push(hostname);
      const entry = table[hostname];
      if (entry === undefined) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
      const addresses = typeof entry === 'function' ? entry() : entry;
      return Promise.resolve(addresses.map((address): ResolvedAddress => ({ address, family: 4 })));
    },
  };
}

/** The test seam: the checked public address is dialled on loopback (same port). */
const dialPublicToLoopback: DialOverride = (address) =>
  address.address === PUBLIC_IP ? { address: '127.0.0.1', family: 4 } : address;

describe('fetch_url against a real server', () => {
  let echo: TestServer;
  let secret: TestServer;

  beforeAll(async () => {
    echo = await startServer((request, response) => {
      const url = new URL(request.url, 'http://x');
      if (url.pathname.startsWith('/status/')) {
        response.writeHead(Number(url.pathname.slice('/status/'.length)), { 'content-type': 'text/plain' });
        response.end(url.searchParams.get('body') ?? '');
        return;
      }
      if (url.pathname === '/redirect') {
        response.writeHead(Number(url.searchParams.get('code') ?? 302), { location: url.searchParams.get('to') ?? '/' });
        response.end('moved');
        return;
      }
      if (url.pathname === '/loop') {
        response.writeHead(302, { location: '/loop' });
        response.end();
        return;
      }
      if (url.pathname === '/hang') return; // never answers
      if (url.pathname === '/big') {
        response.writeHead(200, { 'content-length': '5000' });
        response.end('x'.repeat(5000));
        return;
      }
      if (url.pathname === '/big-chunked') {
        response.writeHead(200);
        for (let i = 0; i < 10; i += 1) response.write('y'.repeat(500));
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(request));
    });
    secret = await startServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ secret: true, headers: request.headers }));
    });
  });

  afterAll(async () => {
    await echo?.close();
    await secret?.close();
  });

  it('fetchUrl - sends every ABI method', async () => {
    const methods = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];
    for (const [number, name] of methods.entries()) {
      const before = echo.seen.length;
      const result = await fetchWith(config(), number, `${echo.origin}/m`);
      expect(result.kind, name).toBe('data');
      expect(echo.seen[before]?.method).toBe(name);
      if (name === 'HEAD') expect(asText(result)).toBe('');
      else if (name !== 'OPTIONS') expect(asReply(result).method).toBe(name);
    }
    expect(await fetchWith(config(), 7, `${echo.origin}/m`)).toEqual({ kind: 'status', status: -2 });
  });

  it('fetchUrl - sends the ::headers and the body; a body without Content-Type is octet-stream', async () => {
    const sent = asReply(await fetchWith(config(), 3, `${echo.origin}/h::x-one:1::content-type:text/plain`, bytes('hi')));
    expect(sent.headers['x-one']).toBe('1');
    expect(sent.headers['content-type']).toBe('text/plain');
    expect(sent.body).toBe('hi');
    const raw = asReply(await fetchWith(config(), 4, `${echo.origin}/h`, bytes('raw')));
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    expect(raw.body).toBe('raw');
    const plain = asReply(await fetchWith(config(), 0, `${echo.origin}/h?q=1`));
    expect(plain.headers['content-type']).toBeUndefined();
    expect(plain.url).toBe('/h?q=1');
    // A guest cannot rewrite the Host header.
    const host = asReply(await fetchWith(config(), 0, `${echo.origin}/h::host:evil.example`));
    expect(host.headers.host).toBe(`127.0.0.1:${echo.port}`);
  });

  it('fetchUrl - a status above 299 is the error "<status>: <body>", 2xx are data', async () => {
    expect(await fetchWith(config(), 0, `${echo.origin}/status/418?body=teapot`)).toEqual({ kind: 'error', message: '418: teapot' });
    expect(await fetchWith(config(), 0, `${echo.origin}/status/500`)).toEqual({ kind: 'error', message: '500: ' });
    expect(asText(await fetchWith(config(), 0, `${echo.origin}/status/299?body=edge`))).toBe('edge');
    expect(await fetchWith(config(), 0, `${echo.origin}/status/304`)).toEqual({ kind: 'error', message: '304: ' });
  });

  it('fetchUrl - injects the configured Authorization header of the exact host:port, replacing a guest one', async () => {
    const auth = { enabled: true, headers: { [`127.0.0.1:${echo.port}`]: { headerType: 'bearer', value: 's3cret' } } };
    const seen = asReply(await fetchWith(config({}, auth), 0, `${echo.origin}/auth::authorization:bearer guest`));
    expect(seen.headers.authorization).toBe('bearer s3cret');
    const off = asReply(await fetchWith(config({}, { ...auth, enabled: false }), 0, `${echo.origin}/auth`));
    expect(off.headers.authorization).toBeUndefined();
    const otherHost = asReply(await fetchWith(config({}, auth), 0, `http://localhost:${echo.port}/auth`));
    expect(otherHost.headers.authorization).toBeUndefined();
  });

  it('fetchUrl - gives up after the client timeout', async () => {
    const started = Date.now();
    const result = await fetchWith(config({ timeoutMs: 300 }), 0, `${echo.origin}/hang`);
    expect(result).toEqual({ kind: 'error', message: `Get "${echo.origin}/hang": client timeout exceeded (300 ms)` });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('fetchUrl - refuses a response larger than the cap, with or without Content-Length', async () => {
    expect(await fetchWith(config({ maxResponseBytes: 1000 }), 0, `${echo.origin}/big`)).toEqual({
      kind: 'error',
      message: `Get "${echo.origin}/big": response body exceeds the limit of 1000 bytes`,
    });
    expect(await fetchWith(config({ maxResponseBytes: 1000 }), 0, `${echo.origin}/big-chunked`)).toEqual({
      kind: 'error',
      message: `Get "${echo.origin}/big-chunked": response body exceeds the limit of 1000 bytes`,
    });
    expect(asText(await fetchWith(config({ maxResponseBytes: 5000 }), 0, `${echo.origin}/big`))).toHaveLength(5000);
  });

  it('fetchUrl - transport errors are returned as text, a refused connection in Go\'s words (as Atmo)', async () => {
    const result = await fetchWith(config(), 0, 'http://127.0.0.1:1/x');
    expect(result).toEqual({ kind: 'error', message: 'Get "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused' });
    expect(await fetchWith(config(), 0, 'http://nowhere.test/x', NO_BODY, { resolver: fakeResolver({}) })).toEqual({
      kind: 'error',
      message: 'Get "http://nowhere.test/x": lookup nowhere.test: no such host',
    });
    expect(await fetchWith(config(), 0, 'ftp://127.0.0.1/x')).toEqual({
      kind: 'error',
      message: 'Get "ftp://127.0.0.1/x": unsupported protocol scheme "ftp"',
    });
  });

  it('fetchUrl - reads the URL with Go\'s url.Parse, as Atmo did: dot segments kept, the path escaped as Go escaped it', async () => {
    const target = async (path: string): Promise<string | undefined> => asReply(await fetchWith(config(), 0, `${echo.origin}${path}`)).url;
    expect(await target('/echo/../echo/dots')).toBe('/echo/../echo/dots');
    expect(await target('/a/./b/../c')).toBe('/a/./b/../c');
    expect(await target('/x ')).toBe('/x%20');
    expect(await target('/a%2fb%41')).toBe('/a%2fb%41');
    expect(await target('/p?')).toBe('/p?');
    expect(await target('/é')).toBe('/%C3%A9');
    expect(await target('/frag#part')).toBe('/frag');
    // A path that looks like an authority stays a path: the rules and the socket see the URL's host.
    expect(await target('//evil.example/x')).toBe('//evil.example/x');
    // Go wrote a space of the query raw into the request line; e2rx writes %20 (docs/deviations.md).
    expect(await target('/q?a=b c')).toBe('/q?a=b%20c');
  });

  it('fetchUrl - a URL Go refused is "failed to url.Parse: …"; a URL without http(s) or host fails as Go\'s client did', async () => {
    expect(await fetchWith(config(), 3, ` ${echo.origin}/x`)).toEqual({
      kind: 'error',
      message: `failed to url.Parse: parse " ${echo.origin}/x": first path segment in URL cannot contain colon`,
    });
    expect(await fetchWith(config(), 0, `${echo.origin}/%zz`)).toEqual({ kind: 'error', message: `failed to url.Parse: parse "${echo.origin}/%zz": invalid URL escape "%zz"` });
    expect(await fetchWith(config(), 0, `${echo.origin}/a\tb`)).toEqual({
      kind: 'error',
      message: `failed to url.Parse: parse "${echo.origin}/a\\tb": net/url: invalid control character in URL`,
    });
    expect(await fetchWith(config(), 0, `${echo.origin}\\x/y`)).toEqual({
      kind: 'error',
      message: `failed to url.Parse: parse "${echo.origin}\\\\x/y": invalid port ":${echo.port}\\\\x" after host`,
    });
    expect(await fetchWith(config(), 3, '/relative')).toEqual({ kind: 'error', message: 'Post "/relative": unsupported protocol scheme ""' });
    expect(await fetchWith(config(), 3, '')).toEqual({ kind: 'error', message: 'Post "": unsupported protocol scheme ""' });
    expect(await fetchWith(config(), 3, 'http:opaque')).toEqual({ kind: 'error', message: 'Post "http:opaque": http: no Host in request URL' });
  });

  it('fetchUrl - userinfo becomes Basic authorization, as Go\'s client sent it, unless the guest set one', async () => {
    const userinfo = `http://us%40er:p%3Ass@127.0.0.1:${echo.port}/who`;
    const basic = asReply(await fetchWith(config(), 0, userinfo));
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    const own = asReply(await fetchWith(config(), 0, `${userinfo}::authorization:mine`));
    expect(own.headers.authorization).toBe('mine');
    const failed = await fetchWith(config(), 0, `http://u:secret@127.0.0.1:1/x`);
    expect(failed).toMatchObject({ kind: 'error', message: expect.stringMatching(/^Get "http:\/\/u:\*\*\*@127\.0\.0\.1:1\/x": /) as string });
  });

  it('fetchUrl - the query goes out as written, its UTF-8 bytes raw, as Go sent it', async () => {
    const lines: string[] = [];
    const raw = createNetServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        lines.push(chunk.toString('latin1').split('\r\n')[0] ?? '');
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const port = (raw.address() as AddressInfo).port;
      expect(asText(await fetchWith(config(), 0, `http://127.0.0.1:${port}/é?q=é&x="<>\`{}|^`))).toBe('ok');
      expect(Buffer.from(lines[0] ?? '', 'latin1').toString('utf8')).toBe('GET /%C3%A9?q=é&x="<>`{}|^ HTTP/1.1');
    } finally {
      raw.close();
    }
  });

  it('fetchUrl - follows redirects (303 turns POST into GET, 307 keeps it) and stops after 5', async () => {
    const followed = asReply(await fetchWith(config(), 3, `${echo.origin}/redirect?code=303&to=/after`, bytes('x')));
    expect(followed).toMatchObject({ method: 'GET', url: '/after', body: '' });
    const kept = asReply(await fetchWith(config(), 3, `${echo.origin}/redirect?code=307&to=/after`, bytes('x')));
    expect(kept).toMatchObject({ method: 'POST', url: '/after', body: 'x' });
    const put = asReply(await fetchWith(config(), 4, `${echo.origin}/redirect?code=302&to=/after`, bytes('x')));
    expect(put).toMatchObject({ method: 'GET', url: '/after', body: '' });
    expect(put.headers['content-type']).toBeUndefined();
    expect(await fetchWith(config(), 0, `${echo.origin}/loop`)).toEqual({
      kind: 'error',
      message: `Get "${echo.origin}/loop": stopped after 5 redirects`,
    });
  });

  it('fetchUrl - a redirect to another host drops the credentials', async () => {
    const auth = { enabled: true, headers: { [`127.0.0.1:${echo.port}`]: { headerType: 'bearer', value: 's3cret' } } };
    const to = encodeURIComponent(`http://localhost:${secret.port}/landing`);
    const landed = asReply(await fetchWith(config({}, auth), 0, `${echo.origin}/redirect?to=${to}::cookie:a=1::x-keep:yes`));
    expect(landed.secret).toBe(true);
    expect(landed.headers.authorization).toBeUndefined();
    expect(landed.headers.cookie).toBeUndefined();
    expect(landed.headers['x-keep']).toBe('yes');
  });

  it('fetchUrl - the rules apply to real requests (allowHTTP, ports, private)', async () => {
    expect(await fetchWith(config({ rules: { allowHTTP: false } }), 0, `${echo.origin}/x`)).toEqual({
      kind: 'error',
      message: 'requests to insecure HTTP endpoints is disallowed',
    });
    expect(await fetchWith(config({ rules: { allowedPorts: [8080] } }), 0, `${echo.origin}/x`)).toEqual({
      kind: 'error',
      message: 'requests to this port are disallowed',
    });
    expect(await fetchWith(config({ rules: { allowPrivate: false } }), 0, `${echo.origin}/x`)).toEqual({
      kind: 'error',
      message: 'requests to private IP address ranges are disallowed',
    });
    expect(echo.seen.filter((r) => r.url === '/x')).toHaveLength(0);
  });

  describe('SSRF through redirects (allowPrivate: false)', () => {
    // The first hop goes to a fake public name: the rules see its public address, and only then the test seam dials it
    // on loopback. Every later hop is checked by the same rules before anything is dialled.
    const network = (resolver: DnsResolver) => ({ resolver, dial: dialPublicToLoopback });
    const noPrivate = config({ rules: { allowPrivate: false } });

    it('fetchUrl - control: with allowPrivate true the same redirect reaches the private server', async () => {
      const resolver = fakeResolver({ 'public.test': [PUBLIC_IP] });
      const before = secret.seen.length;
      const to = encodeURIComponent(`http://127.0.0.1:${secret.port}/secret`);
      const result = await fetchWith(config(), 0, `http://public.test:${echo.port}/redirect?to=${to}`, NO_BODY, network(resolver));
      expect(asReply(result).secret).toBe(true);
      expect(secret.seen.length).toBe(before + 1);
    });

    it('fetchUrl - a redirect to 127.0.0.1 is refused and the private server is never reached', async () => {
      const resolver = fakeResolver({ 'public.test': [PUBLIC_IP] });
      const firstHops = echo.seen.length;
      const before = secret.seen.length;
      const target = `http://127.0.0.1:${secret.port}/secret`;
      const result = await fetchWith(noPrivate, 0, `http://public.test:${echo.port}/redirect?to=${encodeURIComponent(target)}`, NO_BODY, network(resolver));
      expect(result).toEqual({ kind: 'error', message: `Get "${target}": requests to private IP address ranges are disallowed` });
      expect(echo.seen.length).toBe(firstHops + 1); // the allowed first hop did happen
      expect(secret.seen.length).toBe(before);
    });

    it('fetchUrl - a redirect to a name resolving to loopback, or to the metadata address, is refused', async () => {
      const resolver = fakeResolver({ 'public.test': [PUBLIC_IP], 'rebind.test': ['127.0.0.1'] });
      const before = secret.seen.length;
      for (const target of [`http://rebind.test:${secret.port}/secret`, 'http://169.254.169.254/latest/meta-data/', `http://localhost:${secret.port}/`]) {
        const result = await fetchWith(noPrivate, 0, `http://public.test:${echo.port}/redirect?to=${encodeURIComponent(target)}`, NO_BODY, network(resolver));
        expect(result, target).toEqual({ kind: 'error', message: `Get "${target}": requests to private IP address ranges are disallowed` });
      }
      expect(secret.seen.length).toBe(before);
    });

    it('fetchUrl - a name is resolved once per request and the connection is pinned (no rebinding)', async () => {
      let calls = 0;
      const resolver = fakeResolver({ 'flip.test': () => (++calls === 1 ? [PUBLIC_IP] : ['127.0.0.1']) });
      const first = await fetchWith(noPrivate, 0, `http://flip.test:${echo.port}/pinned`, NO_BODY, network(resolver));
      expect(asReply(first).url).toBe('/pinned');
      // One lookup: the socket did not resolve flip.test again (a real lookup of that name would fail).
      expect(resolver.lookups).toEqual(['flip.test']);
      const second = await fetchWith(noPrivate, 0, `http://flip.test:${echo.port}/pinned`, NO_BODY, network(resolver));
      expect(second).toEqual({ kind: 'error', message: 'requests to private IP address ranges are disallowed' });
    });
  });
});
