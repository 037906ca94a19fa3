/**
 * The request object's helpers (src/runtime/request.ts): request ids, and the slab the small byte arrays come from.
 */
import { describe, expect, it } from 'vitest';
import { allocBytes, copyBytes, createRequest, ownBytes, ownsBuffer, requestId, SLAB_LIMIT } from '../../src/runtime/request.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestId', () => {
  it('requestId - random version 4 UUIDs, all distinct, across many blocks of them', () => {
    const ids = Array.from({ length: 2_000 }, () => requestId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('requestId - every random hex digit takes many values (the digits come from the random bytes)', () => {
    const ids = Array.from({ length: 1_000 }, () => requestId());
    for (let at = 0; at < 36; at += 1) {
      if ([8, 13, 18, 23, 14].includes(at)) continue;
      const seen = new Set(ids.map((id) => id[at]));
      // The variant digit has 4 values; the others 16. A fixed or stuck digit would show 1.
      expect(seen.size).toBeGreaterThanOrEqual(at === 19 ? 4 : 12);
    }
  });

  it('createRequest - a request without an id gets a fresh UUID; one with an id keeps it', () => {
    expect(createRequest({ method: 'GET', url: '/' }).id).toMatch(UUID_V4);
    expect(createRequest({ method: 'GET', url: '/', id: 'given' }).id).toBe('given');
  });
});

describe('allocBytes', () => {
  it('allocBytes - small arrays are distinct views of a shared slab; a copy has the bytes and its own place', () => {
    const a = allocBytes(10);
    const b = allocBytes(10);
    a.fill(1);
    b.fill(2);
    expect([...a]).toEqual(Array(10).fill(1));
    expect(ownsBuffer(a)).toBe(false);
    const source = new Uint8Array([5, 6, 7]);
    const copy = copyBytes(source);
    source[0] = 0;
    expect([...copy]).toEqual([5, 6, 7]);
    expect(ownsBuffer(ownBytes(copy))).toBe(true);
    expect(allocBytes(0)).toHaveLength(0);
  });

  it('allocBytes - above the slab limit an array owns its buffer; many small ones span several slabs', () => {
    expect(ownsBuffer(allocBytes(SLAB_LIMIT + 1))).toBe(true);
    const views = Array.from({ length: 100 }, (_, index) => allocBytes(SLAB_LIMIT).fill(index % 251));
    views.forEach((view, index) => expect(view[SLAB_LIMIT - 1]).toBe(index % 251));
  });
});
