import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../../src/directive/capability-config.js';
import { createHttpCapability, fetchMethod, invalidHeader, parseFetchUrl } from '../../src/capabilities/http.js';
import {
  outboundHttpError,
  type OutboundHttpClient,
  type OutboundOptions,
  type OutboundRequest,
} from '../../src/capabilities/outbound-http.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** A client that records what it was asked to send and answers with a fixed response. */
function fakeClient(answer: { status: number; body: string } | Error): OutboundHttpClient & {
  sent: { request: OutboundRequest; options: OutboundOptions }[];
} {
  const sent: { request: OutboundRequest; options: OutboundOptions }[] = [];
  return {
    sent,
    send(request, options) {
      sent.push({ request, options });
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve({ status: answer.status, headers: {}, body: bytes(answer.body), url: request.url });
    },
    close() {},
  };
}

const withHttp = (http: Partial<CapabilityConfig['http']>, auth?: CapabilityConfig['auth']): CapabilityConfig => ({
  ...DEFAULT_CAPABILITIES,
  http: { ...DEFAULT_CAPABILITIES.http, ...http },
  ...(auth === undefined ? {} : { auth }),
});

describe('http', () => {
  it('fetchMethod - maps the ABI numbers 0..6 and nothing else', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(fetchMethod)).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']);
    expect(fetchMethod(7)).toBeUndefined();
    expect(fetchMethod(-1)).toBeUndefined();
    expect(fetchMethod(1.5)).toBeUndefined();
  });

  it('parseFetchUrl - splits ::Name:Value header segments off the URL', () => {
    expect(parseFetchUrl('https://x/y')).toEqual({ url: 'https://x/y', headers: [] });
    expect(parseFetchUrl('https://x/y::authorization:bearer abc::x-other:1')).toEqual({
      url: 'https://x/y',
      headers: [
        ['authorization', 'bearer abc'],
        ['x-other', '1'],
      ],
    });
  });

  it('parseFetchUrl - a segment that does not split into exactly two parts is refused', () => {
    expect(parseFetchUrl('https://x/y::novalue')).toBeUndefined();
    expect(parseFetchUrl('https://x/y::a:b:c')).toBeUndefined();
    expect(parseFetchUrl('https://x/y::a:1::')).toBeUndefined();
    expect(parseFetchUrl('https://x/y::time:12:30')).toBeUndefined();
  });

  it('parseFetchUrl - the :: of a bracketed IPv6 host belongs to the URL', () => {
    expect(parseFetchUrl('http://[::1]:8080/x::accept:text/plain')).toEqual({
      url: 'http://[::1]:8080/x',
      headers: [['accept', 'text/plain']],
    });
    expect(parseFetchUrl('http://[::1]/')).toEqual({ url: 'http://[::1]/', headers: [] });
  });

  it('invalidHeader - names must be tokens and values must not break lines', () => {
    expect(invalidHeader([['x-ok', 'fine value']])).toBeUndefined();
    expect(invalidHeader([['x y', '1']])).toBe('invalid header field name "x y"');
    expect(invalidHeader([['', '1']])).toBe('invalid header field name ""');
    expect(invalidHeader([['x', 'a\r\nb']])).toBe('invalid header field value for "x"');
  });

  it('createHttpCapability - an unknown method or a malformed header gives status -2', async () => {
    const client = fakeClient({ status: 200, body: 'ok' });
    const http = createHttpCapability(DEFAULT_CAPABILITIES, { client, logger });
    expect(await http.fetchUrl(7, 'https://x/', new Uint8Array(), context)).toEqual({ kind: 'status', status: -2 });
    expect(await http.fetchUrl(0, 'https://x/::bad', new Uint8Array(), context)).toEqual({ kind: 'status', status: -2 });
    expect(client.sent).toHaveLength(0);
  });

  it('createHttpCapability - a disabled capability gives the original error', async () => {
    const http = createHttpCapability(withHttp({ enabled: false }), { client: fakeClient({ status: 200, body: '' }), logger });
    expect(await http.fetchUrl(0, 'https://x/', new Uint8Array(), context)).toEqual({
      kind: 'error',
      message: 'capability is not enabled',
    });
  });

  it('createHttpCapability - sends method, headers and body; a body without Content-Type gets octet-stream', async () => {
    const client = fakeClient({ status: 201, body: 'created' });
    const http = createHttpCapability(DEFAULT_CAPABILITIES, { client, logger });
    const result = await http.fetchUrl(3, 'https://x/items::x-trace:7', bytes('{}'), context);
    expect(result.kind === 'data' && text(result.data)).toBe('created');
    expect(client.sent[0]?.request).toMatchObject({
      method: 'POST',
      url: 'https://x/items',
      headers: [
        ['x-trace', '7'],
        ['Content-Type', 'application/octet-stream'],
      ],
    });
    await http.fetchUrl(3, 'https://x/items::content-type:application/json', bytes('{}'), context);
    expect(client.sent[1]?.request.headers).toEqual([['content-type', 'application/json']]);
    await http.fetchUrl(0, 'https://x/', new Uint8Array(), context);
    expect(client.sent[2]?.request.headers).toEqual([]);
  });

  it('createHttpCapability - a status above 299 becomes the error "<status>: <body>"', async () => {
    const http = createHttpCapability(DEFAULT_CAPABILITIES, { client: fakeClient({ status: 404, body: 'no such thing' }), logger });
    expect(await http.fetchUrl(0, 'https://x/', new Uint8Array(), context)).toEqual({ kind: 'error', message: '404: no such thing' });
  });

  it('createHttpCapability - transport and rule errors are returned as their text', async () => {
    const refused = outboundHttpError('rule', 'requests to this domain are disallowed');
    const http = createHttpCapability(DEFAULT_CAPABILITIES, { client: fakeClient(refused), logger });
    expect(await http.fetchUrl(0, 'https://x/', new Uint8Array(), context)).toEqual({
      kind: 'error',
      message: 'requests to this domain are disallowed',
    });
  });

  it('createHttpCapability - passes the http rules, limits and the auth header of the host', async () => {
    const client = fakeClient({ status: 200, body: '' });
    const config = withHttp(
      { timeoutMs: 1234, maxResponseBytes: 99 },
      { enabled: true, headers: { 'api.example.com:8443': { headerType: 'bearer', value: 's3cret' } } },
    );
    const http = createHttpCapability(config, { client, logger });
    await http.fetchUrl(0, 'https://api.example.com:8443/x', new Uint8Array(), context);
    const options = client.sent[0]?.options;
    expect(options).toMatchObject({ timeoutMs: 1234, maxResponseBytes: 99, rules: config.http.rules });
    expect(options?.authorizationFor(new URL('https://api.example.com:8443/x'), 'https://api.example.com:8443/x')).toBe('bearer s3cret');
    expect(options?.authorizationFor(new URL('https://api.example.com/x'), 'https://api.example.com/x')).toBeUndefined();
    // The guest never sees the header: it is not among the request's headers.
    expect(client.sent[0]?.request.headers).toEqual([]);
  });

  it('createHttpCapability - the body is copied before it leaves the call', async () => {
    const client = fakeClient({ status: 200, body: '' });
    const http = createHttpCapability(DEFAULT_CAPABILITIES, { client, logger });
    const body = bytes('abc');
    await http.fetchUrl(3, 'https://x/', body, context);
    body[0] = 0;
    expect(text(client.sent[0]?.request.body ?? new Uint8Array())).toBe('abc');
  });
});
