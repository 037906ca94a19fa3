/**
 * The text Go's HTTP client gave for a connection that could not be made, from Node's socket error: what a function
 * read from `fetch_url` or `graphql_query` on Atmo (`dial tcp 127.0.0.1:1: connect: connection refused`, where Node
 * says `connect ECONNREFUSED 127.0.0.1:1`). A function may look for these words; Node's say the same in other ones.
 *
 * @module
 */

/** Go's wording (the `syscall.Errno` text) for the errors of `connect(2)` Node reports by code. */
const CONNECT_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

/**
 * Go's `dial tcp <address>:<port>: connect: <reason>` for a failed `connect`, or `undefined` for any other error.
 *
 * @example
 * ```ts
 * goDialError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 1 }));
 * // 'dial tcp 127.0.0.1:1: connect: connection refused'
 * ```
 */
export function goDialError(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, syscall, address, port } = error as { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown };
  if (syscall !== 'connect' || typeof code !== 'string' || typeof address !== 'string' || typeof port !== 'number') return undefined;
  const text = CONNECT_ERRNO_TEXT[code];
  if (text === undefined) return undefined;
  return `dial tcp ${address.includes(':') ? `[${address}]` : address}:${port}: connect: ${text}`;
}
