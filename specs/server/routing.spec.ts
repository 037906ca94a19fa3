/**
 * Routing at the edges, as Atmo's server (Go's net/http) and router (httprouter v1.3.0) answered (issue "Agree with
 * Atmo at the edges", items 1–6, 13, 14): a method the path has no route for gets 405 with `Allow`, OPTIONS gets 200
 * with `Allow`, a path no route takes gets 404, a path parameter longer than find-my-way's default bound of 100
 * characters is routed; the path is routed decoded, an invalid escape is 400, and a path a route takes once its
 * trailing slash is toggled, or once cleaned and read without regard to case, is redirected (301 for GET, 307 else).
 * Requests go as raw bytes, so that no client normalises them.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/server/http-server.js';
import { cleanupApps } from '../support/apps.js';
import { specDirective, startApp, stopApps, type RunningApp } from '../engine/support/engine.js';
import { rawRequest, requestBytes, type RawReply } from './support/raw-http.js';

const DIRECTIVE = specDirective(
  ['inspect'],
  `
handlers:
  - type: request
    resource: /tinygo/req/:id
    method: GET
    steps:
      - fn: inspect
  - type: request
    resource: /tinygo/req/:id
    method: DELETE
    steps:
      - fn: inspect
  - type: request
    resource: /static/*path
    method: GET
    steps:
      - fn: inspect
`,
);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['inspect'] });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

describe('routing at the edges', () => {
  it('routing - a method the path has no route for answers 405 with Allow (the methods it has and OPTIONS, sorted)', async () => {
    const reply = await fetch(app.url('/tinygo/req/abc'), { method: 'PUT', body: 'x' });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('DELETE, GET, OPTIONS');
    expect(await reply.json()).toEqual({ status: 405, message: 'method not allowed' });
  });

  it('routing - OPTIONS on a routed path answers 200 with Allow (sorted, as httprouter) and no body', async () => {
    const reply = await fetch(app.url('/tinygo/req/abc'), { method: 'OPTIONS' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('allow')).toBe('DELETE, GET, OPTIONS');
    expect(await reply.text()).toBe('');
    const health = await fetch(app.url('/health'), { method: 'OPTIONS' });
    expect(health.status).toBe(200);
    expect(health.headers.get('allow')).toBe('GET, OPTIONS');
  });

  it('routing - a path no route takes is 404, whatever the method (OPTIONS too), without Allow', async () => {
    for (const method of ['GET', 'PUT', 'OPTIONS']) {
      const reply = await fetch(app.url('/nowhere/abc'), { method });
      expect(reply.status, method).toBe(404);
      expect(reply.headers.get('allow'), method).toBeNull();
    }
  });

  it('routing - a path parameter of 101 and of 4,000 characters is routed and reaches the function whole', async () => {
    for (const length of [101, 4_000]) {
      const id = 'p'.repeat(length);
      const reply = await fetch(app.url(`/tinygo/req/${id}`));
      expect(reply.status, String(length)).toBe(200);
      expect(((await reply.json()) as { param_id: string }).param_id).toBe(id);
    }
  });
});

/** A raw GET (or `method`) of `target` on the app. */
function raw(target: string, method = 'GET'): Promise<RawReply> {
  return rawRequest(app.port, requestBytes(target, method));
}

/** The JSON the inspect function answered. */
function inspected(reply: RawReply): { param_id: string; param_path: string; url: string } {
  expect(reply.status, reply.body).toBe(200);
  return JSON.parse(reply.body) as { param_id: string; param_path: string; url: string };
}

describe('routing on the decoded path, as Go read the request target', () => {
  it('routing - an escaped slash is a slash: /tinygo/req/a%2Fb is 404 for /tinygo/req/:id, and splits a catch-all', async () => {
    const reply = await raw('/tinygo/req/a%2Fb');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toEqual({ status: 404, message: 'not found' });
    expect(inspected(await raw('/static/a%2Fb/c')).param_path).toBe('/a/b/c');
  });

  it('routing - escapes of %, ? and # reach the parameter decoded, and the function still gets the raw url', async () => {
    const reply = inspected(await raw('/tinygo/req/a%25b%3Fc%23d%41'));
    expect(reply.param_id).toBe('a%b?c#dA');
    expect(reply.url).toBe('/tinygo/req/a%25b%3Fc%23d%41');
  });

  it('routing - a raw # is part of the path, not a fragment', async () => {
    expect(inspected(await raw('/tinygo/req/a#b')).param_id).toBe('a#b');
  });

  it('routing - an escape that decodes to bytes that are not UTF-8 is routed; the parameter reads U+FFFD', async () => {
    expect(inspected(await raw('/tinygo/req/%FF')).param_id).toBe('\uFFFD');
    expect(inspected(await raw('/tinygo/req/a%C3')).param_id).toBe('a\uFFFD');
  });

  it('routing - an invalid escape in the path is 400 with a clear body and the connection closed; in the query it is the function\'s', async () => {
    for (const [target, escape] of [['/tinygo/req/%zz', '%zz'], ['/tinygo/req/a%2?x=1', '%2'], ['/tinygo/req/a%', '%']] as const) {
      const reply = await raw(target);
      expect(reply.status, target).toBe(400);
      expect(reply.headers['connection'], target).toBe('close');
      expect(JSON.parse(reply.body), target).toEqual({ status: 400, message: `bad request: invalid URL escape "${escape}"` });
    }
    expect(inspected(await raw('/tinygo/req/a?b=%zz')).url).toBe('/tinygo/req/a?b=%zz');
  });

  it('routing - an empty parameter is no match (httprouter): /tinygo/req/ is 404', async () => {
    expect((await raw('/tinygo/req/')).status).toBe(404);
    expect((await raw('/tinygo/req//')).status).toBe(404);
  });

  it('routing - an absolute-form target is routed on its path', async () => {
    expect(inspected(await raw('http://example.com/tinygo/req/abc')).param_id).toBe('abc');
  });
});

describe("redirects, as httprouter's RedirectTrailingSlash and RedirectFixedPath", () => {
  it('routing - a trailing slash a route does not have is 301 for GET, with Location, the query and Go\'s short HTML body', async () => {
    const reply = await raw('/tinygo/req/abc/?x=%20&y');
    expect(reply.status).toBe(301);
    expect(reply.headers['location']).toBe('/tinygo/req/abc?x=%20&y');
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.body).toBe('<a href="/tinygo/req/abc?x=%20&amp;y">Moved Permanently</a>.\n\n');
    // The catch-all route wants its slash.
    expect((await raw('/static')).headers['location']).toBe('/static/');
  });

  it('routing - another method is redirected with 307 and no body; HEAD too (httprouter v1.3.0 has no 308)', async () => {
    const reply = await raw('/tinygo/req/abc/', 'DELETE');
    expect(reply.status).toBe(307);
    expect(reply.headers['location']).toBe('/tinygo/req/abc');
    expect(reply.body).toBe('');
    expect(reply.headers['content-type']).toBeUndefined();
  });

  it('routing - a path in other letters, with //, . or .. segments, or an escaped slash at its end is redirected to the route', async () => {
    const cases: Readonly<Record<string, string>> = {
      '/TINYGO/Req/AbC': '/tinygo/req/AbC',
      '//tinygo/req/abc': '/tinygo/req/abc',
      '/x/../tinygo/req/abc': '/tinygo/req/abc',
      '/./tinygo/req/abc/.': '/tinygo/req/abc',
      '/../tinygo//req/abc/': '/tinygo/req/abc',
      '/tinygo/req/x%2F': '/tinygo/req/x',
      '/Tinygo/req/caf%C3%A9': '/tinygo/req/caf%C3%A9',
      "/tinygo/REQ/a!*()'b%20c": '/tinygo/req/a%21%2A%28%29%27b%20c',
      '/STATIC/A/b': '/static/A/b',
      '/HEALTH': '/health',
    };
    for (const [target, location] of Object.entries(cases)) {
      const reply = await raw(target);
      expect(reply.status, target).toBe(301);
      expect(reply.headers['location'], target).toBe(location);
    }
  });

  it('routing - no redirect when no route of the method takes the fixed path, nor for a method with no routes at all', async () => {
    expect((await raw('/tinygo/req/x/..')).status).toBe(404);
    expect((await raw('/TINYGO/req/a%2Fb')).status).toBe(404);
    expect((await raw('/tinygo/req/abc/', 'PUT')).status).toBe(404);
    expect((await raw('/nowhere/')).status).toBe(404);
  });

  it('routing - a Location is never protocol-relative (//host): Atmo redirected POST //evil.example/ to //evil.example for /:a/:b', async () => {
    const server = createHttpServer({ logger: pino({ level: 'silent' }), health: () => ({ healthy: true }) });
    server.route('POST', '/:a/:b', (_request, response, params) => {
      response.end(JSON.stringify(params));
    });
    server.route('GET', '/m/:id/b', (_request, response, params) => {
      response.end(JSON.stringify(params));
    });
    try {
      const port = await server.listen(0, '127.0.0.1');
      const reply = await rawRequest(port, requestBytes('//evil.example/', 'POST'));
      expect(reply.status).toBe(307);
      expect(reply.headers['location']).toBe('/evil.example');
      // An empty parameter before a `/` is taken, as httprouter took it; a final one is not.
      expect(JSON.parse((await rawRequest(port, requestBytes('//evil.example', 'POST'))).body)).toEqual({ a: '', b: 'evil.example' });
      expect(JSON.parse((await rawRequest(port, requestBytes('/m//b'))).body)).toEqual({ id: '' });
      expect((await rawRequest(port, requestBytes('/m//B'))).status).toBe(404);
      expect((await rawRequest(port, requestBytes('/a/', 'POST'))).status).toBe(404);
    } finally {
      await server.close(0);
    }
  });

  it('routing - no Location of the app begins with //, whatever the path', async () => {
    for (const target of ['//evil.example/', '//evil.example//', '/..//evil.example/static/x', '//STATIC//x']) {
      const reply = await raw(target);
      expect(reply.headers['location'] ?? '/', target).not.toMatch(/^\/\//);
    }
  });

  it('routing - * names the server: OPTIONS * is 200 without Allow; another method is 405 with every method', async () => {
    const options = await raw('*', 'OPTIONS');
    expect(options.status).toBe(200);
    expect(options.headers['allow']).toBeUndefined();
    const get = await raw('*');
    expect(get.status).toBe(405);
    expect(get.headers['allow']).toBe('DELETE, GET, OPTIONS');
  });
});

describe('request lines Node reads otherwise than Go (docs/deviations.md)', () => {
  it('routing - raw UTF-8 in the request target is 400 with a body that says to percent-encode it (Atmo served it)', async () => {
    for (const target of ['/tinygo/req/abc?message=caf\u00c3\u00a9', '/tinygo/req/caf\u00c3\u00a9']) {
      const reply = await rawRequest(app.port, requestBytes(target));
      expect(reply.status, target).toBe(400);
      expect(reply.headers['connection']).toBe('close');
      expect(JSON.parse(reply.body)).toEqual({ status: 400, message: 'bad request: the request target holds a raw non-ASCII byte; percent-encode it (café is caf%C3%A9)' });
    }
    // Percent-encoded, it is served.
    expect(inspected(await raw('/tinygo/req/caf%C3%A9')).param_id).toBe('café');
  });

  it('routing - a request line with a doubled space is served (RFC 9112 §3 lets a server read words; Atmo answered 400)', async () => {
    expect(inspected(await rawRequest(app.port, 'GET  /tinygo/req/abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).param_id).toBe('abc');
    expect(inspected(await rawRequest(app.port, 'GET /tinygo/req/abc  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).param_id).toBe('abc');
  });

  it('routing - an HTTP/1.1 request without Host is 400 saying so, and the connection closes, as Go answered', async () => {
    const reply = await rawRequest(app.port, 'GET /tinygo/req/abc HTTP/1.1\r\n\r\n');
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ status: 400, message: 'bad request: missing required Host header' });
    expect(reply.headers['connection']).toBe('close');
    // HTTP/1.0 needs no Host.
    expect((await rawRequest(app.port, 'GET /tinygo/req/abc HTTP/1.0\r\n\r\n')).status).toBe(200);
  });

  it('routing - a request line without an HTTP/1.x version is 400 (Node reads it as 0.9), HTTP/2.0 is 505, as Go answered', async () => {
    const none = await rawRequest(app.port, 'GET /tinygo/req/abc\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(none.status).toBe(400);
    expect(JSON.parse(none.body)).toEqual({ status: 400, message: 'bad request: the request line has no HTTP/1.x version' });
    const two = await rawRequest(app.port, 'GET /tinygo/req/abc HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(two.status).toBe(505);
    expect(JSON.parse(two.body)).toEqual({ status: 505, message: 'HTTP version not supported: e2rx serves HTTP/1.x' });
    expect(inspected(await rawRequest(app.port, 'GET /tinygo/req/abc HTTP/1.0\r\nHost: x\r\n\r\n')).param_id).toBe('abc');
  });

  it('routing - CONNECT is answered as the router answered it (405 with Allow on a routed path, else 404), not dropped', async () => {
    const routed = await rawRequest(app.port, requestBytes('/tinygo/req/abc', 'CONNECT'));
    expect(routed.status).toBe(405);
    expect(routed.headers['allow']).toBe('DELETE, GET, OPTIONS');
    expect(JSON.parse(routed.body)).toEqual({ status: 405, message: 'method not allowed' });
    const authority = await rawRequest(app.port, requestBytes('example.com:443', 'CONNECT'));
    expect(authority.status).toBe(404);
    expect(JSON.parse(authority.body)).toEqual({ status: 404, message: 'not found' });
  });

  it('routing - a method Node does not know (or a lower-case one) is 400 naming the fault (Atmo: 405 on a routed path)', async () => {
    for (const method of ['FOO', 'get']) {
      const reply = await rawRequest(app.port, requestBytes('/tinygo/req/abc', method));
      expect(reply.status, method).toBe(400);
      expect(JSON.parse(reply.body), method).toEqual({ status: 400, message: 'bad request: invalid method encountered' });
    }
  });

  it('routing - a request line Node cannot read is 400 with a body naming the fault, not an empty answer', async () => {
    for (const line of ['GET /tinygo/req/a b HTTP/1.1', 'GET\t/tinygo/req/abc HTTP/1.1', 'GET /tinygo/req/abc HTTP/1.1 ', 'GET /tinygo/req/a\u007fb HTTP/1.1']) {
      const reply = await rawRequest(app.port, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(reply.status, line).toBe(400);
      const body = JSON.parse(reply.body) as { status: number; message: string };
      expect(body.status, line).toBe(400);
      expect(body.message, line).toMatch(/^bad request: \S/);
    }
  });
});
