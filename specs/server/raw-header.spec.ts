import { describe, expect, it } from 'vitest';
import { rawHeader } from '../../src/server/raw-header.js';

describe('rawHeader', () => {
  it('rawHeader - finds a header by name in any case; the first value of a repeated one; undefined when absent', () => {
    const raw = ['Content-Length', '5', 'X-REQUEST-ID', 'r-1', 'x-request-id', 'r-2', 'X-Request-IDs', 'no'];
    expect(rawHeader(raw, 'content-length')).toBe('5');
    expect(rawHeader(raw, 'x-request-id')).toBe('r-1');
    expect(rawHeader(raw, 'host')).toBeUndefined();
    expect(rawHeader([], 'host')).toBeUndefined();
  });
});
