/**
 * Listening with a clear failure: what `createEngine` and the reloading engine both do to open the HTTP port.
 *
 * @module
 */
import { E2rxError, errorMessage } from '../errors.js';
import type { HttpServer } from './http-server.js';

/**
 * Listens, or fails with `E2RX_LISTEN` naming the port and how to fix it (a port in use, not allowed, an address
 * that is not this machine's).
 *
 * @example
 * ```ts
 * const port = await listenOn(http, 8080, '127.0.0.1'); // E2RX_LISTEN "cannot listen on port 8080: …" when it is taken
 * ```
 */
export async function listenOn(http: HttpServer, port: number, host: string | undefined): Promise<number> {
  try {
    return await http.listen(port, host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw error;
    const hint = code === 'EADDRINUSE' ? 'another process uses that port: pass --port <port> or stop it' : 'check --host and --port';
    throw new E2rxError('E2RX_LISTEN', `cannot listen on port ${port}: ${errorMessage(error)}`, { cause: error, hint, details: { port, code } });
  }
}
