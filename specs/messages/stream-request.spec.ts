import { describe, expect, it } from 'vitest';
import { wrapPayload } from '../../src/messages/envelope.js';
import { streamRequest } from '../../src/messages/stream-request.js';

describe('streamRequest', () => {
  it('streamRequest - method STREAM, url the resource, body the payload, headers lower-cased, a fresh id', () => {
    const request = streamRequest('orders', new TextEncoder().encode('{"id":1}'), [['Trace', 't']]);
    expect(request).toMatchObject({ method: 'STREAM', url: 'orders', headers: { trace: 't' }, params: {}, state: {}, respHeaders: {} });
    expect(new TextDecoder().decode(request.body)).toBe('{"id":1}');
    expect(request.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(streamRequest('orders', new Uint8Array(), []).id).not.toBe(request.id);
  });

  it('streamRequest - the correlation header is the id; an envelope is unwrapped', () => {
    const request = streamRequest('orders', wrapPayload(new TextEncoder().encode('hi')), [['X-Request-ID', 'c-1']]);
    expect(request.id).toBe('c-1');
    expect(new TextDecoder().decode(request.body)).toBe('hi');
  });
});
