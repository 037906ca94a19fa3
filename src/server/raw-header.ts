/**
 * Reading one header without `IncomingMessage.headers`, which Node builds on first access: an object of every header,
 * for one value. On the hot path of every request.
 *
 * @example
 * ```ts
 * rawHeader(['Content-Length', '5', 'X-Request-ID', 'r-1'], 'x-request-id'); // 'r-1'
 * ```
 */

/** The first value of header `name` (given in lower case) in raw headers (name, value, name, value, …). */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i] as string;
    if (key.length === name.length && key.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

