/**
 * Trace and span ids for e2rx's spans, drawn from a fast generator (xoshiro128**, 32-bit words) seeded from
 * `crypto`: the ids need to be unique and well spread (the `traceidratio` samplers read them), not secret, and the
 * SDK's own generator (`Math.random` per byte, then hex strings) is one of the costs tracing had per span. Ids stay
 * numbers until a span's context is asked for (propagation) or the span is exported.
 *
 * @module
 */
import { randomFillSync } from 'node:crypto';

const state = new Uint32Array(4);
do randomFillSync(state);
while (state.every((word) => word === 0));
let a = state[0] as number;
let b = state[1] as number;
let c = state[2] as number;
let d = state[3] as number;

/**
 * The next random 32-bit word, as a signed 32-bit integer (what V8 keeps unboxed: a span's id words stay small
 * integers instead of a heap number each; `>>> 0` reads it unsigned).
 *
 * @example
 * ```ts
 * const high = randomWord(); // -(2 ** 31) ≤ high < 2 ** 31
 * ```
 */
export function randomWord(): number {
  const result = Math.imul(rotl(Math.imul(b, 5), 7), 9);
  const t = b << 9;
  c ^= a;
  d ^= b;
  b ^= c;
  a ^= d;
  c ^= t;
  d = rotl(d, 11);
  return result;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A 32-bit word as 8 lower-case hex digits. */
export function wordHex(word: number): string {
  return (word >>> 0).toString(16).padStart(8, '0');
}

/**
 * The 32-bit words of a hex id (`traceId`: 4, `spanId`: 2), as the W3C trace context writes them, each a signed
 * 32-bit integer as {@link randomWord} makes them.
 *
 * @example
 * ```ts
 * hexWords('00f067aa8ba902b7', 2); // [0x00f067aa, 0x8ba902b7 | 0]
 * ```
 */
export function hexWords(hex: string, count: 2 | 4): number[] {
  const words: number[] = [];
  for (let i = 0; i < count; i += 1) words.push(Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16) | 0);
  return words;
}
