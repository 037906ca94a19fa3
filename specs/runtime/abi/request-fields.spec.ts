import { describe, expect, it } from 'vitest';
import type { HostCallResult } from '../../../src/capabilities/host-services.js';
import { FIELD_TYPE, getField, setField } from '../../../src/runtime/abi/request-fields.js';
import { HostMemoryExceeded } from '../../../src/runtime/host-memory.js';
import { Invocation } from '../../../src/runtime/invocation.js';
import { makeRequest } from '../support/driver.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const data = (s: string): HostCallResult => ({ kind: 'data', data: enc(s) });
const FAIL: HostCallResult = { kind: 'status', status: -1 };

function invocation(overrides: Parameters<typeof makeRequest>[0] = {}): Invocation {
  return new Invocation(1, 'fn', makeRequest(overrides));
}

describe('abi/request-fields', () => {
  it('getField - Meta gives method, url, id and the raw body; other keys are empty', () => {
    const i = invocation({ method: 'POST', url: '/a?b=c', id: 'r-9', bodyText: '{"x":1}' });
    expect(getField(i, FIELD_TYPE.meta, 'method')).toEqual(data('POST'));
    expect(getField(i, FIELD_TYPE.meta, 'url')).toEqual(data('/a?b=c'));
    expect(getField(i, FIELD_TYPE.meta, 'id')).toEqual(data('r-9'));
    expect(getField(i, FIELD_TYPE.meta, 'body')).toEqual(data('{"x":1}'));
    expect(getField(i, FIELD_TYPE.meta, 'Method')).toEqual(data(''));
  });

  it('getField - Body gives a top-level string; missing keys, other types and bad JSON fail with -1', () => {
    const i = invocation({ bodyText: '{"name":"ann","age":3,"nested":{"a":"b"}}' });
    expect(getField(i, FIELD_TYPE.body, 'name')).toEqual(data('ann'));
    expect(getField(i, FIELD_TYPE.body, 'age')).toEqual(FAIL);
    expect(getField(i, FIELD_TYPE.body, 'nested')).toEqual(FAIL);
    expect(getField(i, FIELD_TYPE.body, 'missing')).toEqual(FAIL);
    expect(getField(invocation({ bodyText: 'not json' }), FIELD_TYPE.body, 'name')).toEqual(FAIL);
    expect(getField(invocation({ bodyText: '["a"]' }), FIELD_TYPE.body, '0')).toEqual(FAIL);
  });

  it('getField - Body of an empty body is empty', () => {
    expect(getField(invocation(), FIELD_TYPE.body, 'name')).toEqual(data(''));
  });

  it('getField - Header is case-insensitive on lower-cased stored keys', () => {
    const i = invocation({ headers: { 'content-type': 'text/plain' } });
    expect(getField(i, FIELD_TYPE.header, 'Content-Type')).toEqual(data('text/plain'));
    expect(getField(i, FIELD_TYPE.header, 'x-missing')).toEqual(data(''));
  });

  it('getField - Params and State read their maps; missing keys are empty', () => {
    const i = invocation({ params: { id: '7' }, state: { user: enc('{"a":1}') } });
    expect(getField(i, FIELD_TYPE.params, 'id')).toEqual(data('7'));
    expect(getField(i, FIELD_TYPE.params, 'nope')).toEqual(data(''));
    expect(getField(i, FIELD_TYPE.state, 'user')).toEqual(data('{"a":1}'));
    expect(getField(i, FIELD_TYPE.state, 'nope')).toEqual(data(''));
  });

  it('getField - Query (type 5) gives the first value of a query parameter', () => {
    const i = invocation({ url: '/hello?name=world&name=again&x=1' });
    expect(getField(i, FIELD_TYPE.query, 'name')).toEqual(data('world'));
    expect(getField(i, FIELD_TYPE.query, 'y')).toEqual(data(''));
  });

  // Observed on Atmo v0.4.7 (issue 15, item 9): Go's url.Parse of the request URL, then url.ParseQuery(...).Get(key).
  it.each([
    ['/q?message=a;b', 'message', ''],
    ['/q?a;b&message=y', 'message', 'y'],
    ['/q?;message=s', 'message', ''],
    ['/q?message=%zz&message=ok', 'message', 'ok'],
    ['/q?message=1&message=2', 'message', '1'],
    ['/q?message=a+b%20c', 'message', 'a b c'],
    ['/q?message=%', 'message', ''],
    ['/q?message=%4', 'message', ''],
    ['/q?%6Dessage=enc', 'message', 'enc'],
    ['/q?message', 'message', ''],
    ['/q?=x&message=k', 'message', 'k'],
    ['/q?message=a=b', 'message', 'a=b'],
    ['/q?message=%2B%26%3B', 'message', '+&;'],
    ['/q?message=x#frag&message=y', 'message', 'x'],
    ['/q?&&message=e&&', 'message', 'e'],
    ['/q?caf%C3%A9=1', 'café', '1'],
    ['/q?k="<>`{}|^ raw', 'k', '"<>`{}|^ raw'],
  ])('getField - Query of %j, key %j, is %j, as Go parsed it', (url, key, value) => {
    expect(getField(invocation({ url }), FIELD_TYPE.query, key)).toEqual(data(value));
  });

  it('getField - Query passes the bytes of escapes as they are, a truncated UTF-8 sequence included', () => {
    expect(getField(invocation({ url: '/q?m=%C3' }), FIELD_TYPE.query, 'm')).toEqual({ kind: 'data', data: new Uint8Array([0xc3]) });
    expect(getField(invocation({ url: '/q?m=%FF%00' }), FIELD_TYPE.query, 'm')).toEqual({ kind: 'data', data: new Uint8Array([0xff, 0]) });
    expect(getField(invocation({ url: '/q?m=%C3%A9' }), FIELD_TYPE.query, 'm')).toEqual(data('é'));
  });

  it('getField - Query of a URL Go cannot parse is the parser\'s error', () => {
    expect(getField(invocation({ url: '/rq/a?message=1#%zz' }), FIELD_TYPE.query, 'message')).toEqual({
      kind: 'error',
      message: 'failed to url.Parse: parse "/rq/a?message=1#%zz": invalid URL escape "%zz"',
    });
    expect(getField(invocation({ url: 'a:b/c' }), FIELD_TYPE.query, 'x')).toEqual(data(''));
    expect(getField(invocation({ url: 'ab:c' }), FIELD_TYPE.query, 'x')).toEqual(data(''));
    expect(getField(invocation({ url: '1a:c' }), FIELD_TYPE.query, 'x')).toEqual({
      kind: 'error',
      message: 'failed to url.Parse: parse "1a:c": first path segment in URL cannot contain colon',
    });
  });

  it('getField - an unknown field type fails with -1', () => {
    expect(getField(invocation(), 6, 'x')).toEqual(FAIL);
    expect(getField(invocation(), -1, 'x')).toEqual(FAIL);
  });

  it('setField - Meta sets method, url and the raw body, ignores id, refuses other keys', () => {
    const i = invocation();
    expect(setField(i, FIELD_TYPE.meta, 'method', enc('PUT'))).toEqual(data(''));
    expect(setField(i, FIELD_TYPE.meta, 'url', enc('/b'))).toEqual(data(''));
    expect(setField(i, FIELD_TYPE.meta, 'body', enc('raw'))).toEqual(data(''));
    expect(setField(i, FIELD_TYPE.meta, 'id', enc('other'))).toEqual(data(''));
    expect(setField(i, FIELD_TYPE.meta, 'nope', enc('x'))).toEqual({ kind: 'error', message: 'key not found' });
    expect(i.request).toMatchObject({ method: 'PUT', url: '/b', id: 'req-1', body: enc('raw') });
  });

  it('setField - Body sets a string field and re-serialises with sorted keys; the cache follows', () => {
    const i = invocation({ bodyText: '{"z":1,"a":"x"}' });
    expect(getField(i, FIELD_TYPE.body, 'a')).toEqual(data('x'));
    expect(setField(i, FIELD_TYPE.body, 'm', enc('new'))).toEqual(data(''));
    expect(new TextDecoder().decode(i.request.body)).toBe('{"a":"x","m":"new","z":1}');
    expect(getField(i, FIELD_TYPE.body, 'm')).toEqual(data('new'));
  });

  it('setField - Body is a no-op on an empty body and an error on bad JSON', () => {
    const empty = invocation();
    expect(setField(empty, FIELD_TYPE.body, 'a', enc('b'))).toEqual(data(''));
    expect(empty.request.body.length).toBe(0);
    const bad = setField(invocation({ bodyText: '{oops' }), FIELD_TYPE.body, 'a', enc('b'));
    expect(bad.kind).toBe('error');
    if (bad.kind === 'error') expect(bad.message).toMatch(/^failed to loadBodyValues: /);
  });

  it('setField - Header stores the key as given (a mixed-case set is invisible to get, as in the original)', () => {
    const i = invocation();
    setField(i, FIELD_TYPE.header, 'X-Trace', enc('1'));
    expect(i.request.headers).toEqual({ 'X-Trace': '1' });
    expect(getField(i, FIELD_TYPE.header, 'X-Trace')).toEqual(data(''));
    setField(i, FIELD_TYPE.header, 'x-lower', enc('2'));
    expect(getField(i, FIELD_TYPE.header, 'X-Lower')).toEqual(data('2'));
  });

  it('setField - Params and State are set', () => {
    const i = invocation();
    setField(i, FIELD_TYPE.params, 'id', enc('8'));
    setField(i, FIELD_TYPE.state, 'out', enc('bytes'));
    expect(i.request.params).toEqual({ id: '8' });
    expect(i.request.state['out']).toEqual(enc('bytes'));
  });

  it('setField - what a set adds counts against the host budget; a replaced value is released', () => {
    const i = new Invocation(1, 'fn', makeRequest({ state: { given: enc('input') } }), 1000);
    setField(i, FIELD_TYPE.state, 'out', new Uint8Array(100));
    expect(i.held).toBe(103);
    setField(i, FIELD_TYPE.state, 'out', new Uint8Array(40));
    expect(i.held).toBe(43);
    setField(i, FIELD_TYPE.state, 'given', enc('in'));
    expect(i.held).toBe(40);
    setField(i, FIELD_TYPE.header, 'x-a', enc('12345'));
    setField(i, FIELD_TYPE.params, 'id', enc('7'));
    expect(i.held).toBe(40 + 8 + 3);
    setField(i, FIELD_TYPE.meta, 'body', new Uint8Array(10));
    setField(i, FIELD_TYPE.meta, 'method', enc('DELETE'));
    expect(i.held).toBe(51 + 10 + 3);
  });

  it('setField - a set past the host budget throws HostMemoryExceeded and changes nothing', () => {
    const i = new Invocation(1, 'fn', makeRequest(), 1000);
    setField(i, FIELD_TYPE.state, 'a', new Uint8Array(900));
    expect(() => setField(i, FIELD_TYPE.state, 'b', new Uint8Array(100))).toThrow(HostMemoryExceeded);
    expect(Object.keys(i.request.state)).toEqual(['a']);
    expect(() => setField(i, FIELD_TYPE.header, 'b', new Uint8Array(100))).toThrow(HostMemoryExceeded);
    expect(i.request.headers).toEqual({});
    expect(i.held).toBe(901);
    // replacing the value under the same key frees its old bytes
    setField(i, FIELD_TYPE.state, 'a', new Uint8Array(999));
    expect(i.held).toBe(1000);
  });

  it('setField - keys inherited from Object.prototype are new keys', () => {
    const i = new Invocation(1, 'fn', makeRequest(), 1000);
    setField(i, FIELD_TYPE.state, 'constructor', new Uint8Array(10));
    expect(i.held).toBe(21);
  });

  it('setField - Query and unknown types give invalid field type', () => {
    expect(setField(invocation(), FIELD_TYPE.query, 'a', enc('b'))).toEqual({ kind: 'error', message: 'invalid field type' });
    expect(setField(invocation(), 9, 'a', enc('b'))).toEqual({ kind: 'error', message: 'invalid field type' });
  });
});
