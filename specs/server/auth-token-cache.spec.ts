/**
 * The cache of recently verified tokens (src/server/auth-token-cache.ts): a hit is held to the token's `exp` and
 * `nbf` (with the clock skew), an entry lives at most a minute, and the count is bounded.
 */
import { describe, expect, it } from 'vitest';
import { createTokenCache, TOKEN_CACHE_TTL_MS } from '../../src/server/auth-token-cache.js';

const START = 1_700_000_000_000;
const clock = (): { now: () => number; advance: (ms: number) => void } => {
  let at = START;
  return { now: () => at, advance: (ms) => (at += ms) };
};

describe('createTokenCache', () => {
  it('createTokenCache - gives back the claims of a token it keeps, and nothing for another', () => {
    const time = clock();
    const cache = createTokenCache(0, time.now);
    const claims = { sub: 'ada', exp: START / 1000 + 3600 };
    cache.set('t1', claims);
    expect(cache.get('t1')).toBe(claims);
    expect(cache.get('t2')).toBeUndefined();
  });

  it('createTokenCache - a token past its exp is not given back (it is verified again, and refused)', () => {
    const time = clock();
    const cache = createTokenCache(0, time.now);
    cache.set('t', { exp: START / 1000 + 10 });
    time.advance(9_999);
    expect(cache.get('t')).toBeDefined();
    time.advance(1);
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('createTokenCache - the clock skew extends exp as the verifier does', () => {
    const time = clock();
    const cache = createTokenCache(30, time.now);
    cache.set('t', { exp: START / 1000 + 10 });
    time.advance(39_000);
    expect(cache.get('t')).toBeDefined();
    time.advance(1_000);
    expect(cache.get('t')).toBeUndefined();
  });

  it('createTokenCache - an entry lives at most a minute, however far its exp', () => {
    const time = clock();
    const cache = createTokenCache(0, time.now);
    cache.set('t', { exp: START / 1000 + 86_400 });
    time.advance(TOKEN_CACHE_TTL_MS - 1);
    expect(cache.get('t')).toBeDefined();
    time.advance(1);
    expect(cache.get('t')).toBeUndefined();
  });

  it('createTokenCache - a clock that went back before nbf makes it verify again', () => {
    const time = clock();
    const cache = createTokenCache(0, time.now);
    cache.set('t', { nbf: START / 1000, exp: START / 1000 + 60 });
    time.advance(-1);
    expect(cache.get('t')).toBeUndefined();
  });

  it('createTokenCache - bounded: the oldest entry goes first', () => {
    const time = clock();
    const cache = createTokenCache(0, time.now, 3);
    for (const token of ['a', 'b', 'c', 'd']) cache.set(token, { sub: token });
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('d')).toEqual({ sub: 'd' });
  });
});
