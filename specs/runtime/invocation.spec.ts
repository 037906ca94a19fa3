import { describe, expect, it } from 'vitest';
import { IDENT_LIMIT, IdentRegistry, Invocation } from '../../src/runtime/invocation.js';
import { makeRequest } from './support/driver.js';

describe('invocation', () => {
  it('Invocation - stores data as a positive size, errors as minus the message length, statuses bare', () => {
    const invocation = new Invocation(1, 'fn', makeRequest());
    expect(invocation.store({ kind: 'data', data: new Uint8Array(5) })).toBe(5);
    expect(invocation.hasPending).toBe(true);
    expect(invocation.take()?.length).toBe(5);
    expect(invocation.hasPending).toBe(false);
    expect(invocation.store({ kind: 'error', message: 'key not found' })).toBe(-13);
    expect(new TextDecoder().decode(invocation.take())).toBe('key not found');
    expect(invocation.store({ kind: 'status', status: -2 })).toBe(-2);
    expect(invocation.hasPending).toBe(false);
    expect(invocation.store({ kind: 'data', data: new Uint8Array(0) })).toBe(0);
    expect(invocation.hasPending).toBe(true);
  });

  it('Invocation - the first settlement wins', () => {
    const invocation = new Invocation(1, 'fn', makeRequest());
    expect(invocation.settle({ kind: 'runError', code: 400, message: 'bad' })).toBe(true);
    expect(invocation.settle({ kind: 'output', output: new Uint8Array(1) })).toBe(false);
    expect(invocation.settlement).toEqual({ kind: 'runError', code: 400, message: 'bad' });
  });

  it('Invocation - reads the caller\'s request and changes a copy, made on the first change', () => {
    const request = makeRequest({ headers: { a: '1' } });
    const invocation = new Invocation(1, 'fn', request);
    expect(invocation.request).toBe(request);
    const changed = invocation.mutable();
    expect(changed).not.toBe(request);
    changed.headers['b'] = '2';
    changed.method = 'POST';
    expect(invocation.mutable()).toBe(changed);
    expect(invocation.request).toBe(changed);
    expect(request.headers).toEqual({ a: '1' });
    expect(request.method).toBe('GET');
  });

  it('IdentRegistry - gives idents in [0, 2^31-1) and maps them to invocations', () => {
    const registry = new IdentRegistry();
    const idents = new Set<number>();
    for (let i = 0; i < 1000; i += 1) {
      const ident = registry.next();
      expect(ident).toBeGreaterThanOrEqual(0);
      expect(ident).toBeLessThan(IDENT_LIMIT);
      idents.add(ident);
    }
    expect(idents.size).toBeGreaterThan(990);
    const invocation = new Invocation(registry.next(), 'fn', makeRequest());
    registry.add(invocation);
    expect(registry.get(invocation.ident)).toBe(invocation);
    registry.delete(invocation.ident);
    expect(registry.get(invocation.ident)).toBeUndefined();
    expect(registry.size).toBe(0);
  });
});
