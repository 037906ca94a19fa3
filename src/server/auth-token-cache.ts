/**
 * Tokens verified recently, so that a client sending the same bearer token on every request pays for its signature
 * once, not on each request (verifying costs 25 to 100 µs: HS256 to ES256).
 *
 * The key is the whole token, signature included: a hit is the exact token that passed every check before, with the
 * same verifier. A hit is still held to its `exp` and `nbf` against the clock, and an entry lives at most
 * {@link TOKEN_CACHE_TTL_MS}, so a key withdrawn from a JWKS stops being trusted within that time plus the JWKS cache
 * age. Refused tokens are never kept. The cache is bounded by count; the oldest entry goes first.
 *
 * @module
 */
import type { JWTPayload } from 'jose';

/** The longest an entry is trusted without verifying the token again. */
export const TOKEN_CACHE_TTL_MS = 60_000;

/** The most entries kept. */
export const TOKEN_CACHE_MAX_ENTRIES = 4_096;

/** Recently verified tokens of one verifier. */
export interface TokenCache {
  /** The claims of `token` when it was verified recently and is still within its time bounds; else `undefined`. */
  get(token: string): JWTPayload | undefined;
  /** Keeps a token that passed verification. */
  set(token: string, claims: JWTPayload): void;
  readonly size: number;
}

interface Entry {
  readonly claims: JWTPayload;
  /** Until when (ms since the epoch) the entry may be used. */
  readonly until: number;
  /** From when (ms), for a token with `nbf`. */
  readonly from: number;
}

/**
 * A cache for a verifier whose clock skew is `clockSkewSec`.
 *
 * @example
 * ```ts
 * const cache = createTokenCache(0);
 * cache.set(token, claims);
 * cache.get(token); // claims, until its exp or a minute from now
 * ```
 */
export function createTokenCache(clockSkewSec: number, now: () => number = Date.now, maxEntries = TOKEN_CACHE_MAX_ENTRIES): TokenCache {
  const entries = new Map<string, Entry>();
  const skewMs = clockSkewSec * 1000;
  return {
    get size() {
      return entries.size;
    },
    get: (token) => {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      const at = now();
      if (at >= entry.until || at < entry.from) {
        // Past its time, or before its nbf (only with a clock that went back): verify it again.
        entries.delete(token);
        return undefined;
      }
      return entry.claims;
    },
    set: (token, claims) => {
      const at = now();
      const exp = typeof claims.exp === 'number' ? claims.exp * 1000 + skewMs : Number.POSITIVE_INFINITY;
      const from = typeof claims.nbf === 'number' ? claims.nbf * 1000 - skewMs : Number.NEGATIVE_INFINITY;
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      entries.set(token, { claims, until: Math.min(exp, at + TOKEN_CACHE_TTL_MS), from });
    },
  };
}
