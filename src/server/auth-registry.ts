/**
 * The authenticators of an app's handlers, one per distinct configuration: handlers that share the app-wide `auth`
 * share one verifier, and with it one JWKS cache (one fetch, not one per handler).
 *
 * @module
 */
import type { Logger } from 'pino';
import type { AuthConfig } from '../directive/auth.js';
import { createAuthenticator, type Authenticator } from './auth.js';

/** Options of {@link createAuthenticators}. */
export interface AuthenticatorsOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
}

/**
 * A function giving the authenticator of a handler's configuration, as route options: `{ authenticator }`, or `{}` for
 * a handler without `auth`. A JWKS is fetched as soon as its authenticator is made (a failure is logged; requests
 * fetch it again).
 *
 * @throws {@link E2rxError} from {@link createAuthenticator} when a secret, key or URL cannot be used.
 *
 * @example
 * ```ts
 * const authenticatorFor = createAuthenticators({ env: process.env, logger });
 * fromHttpRoute(http, { method: 'GET', path: '/orders', gate, maxBodyBytes, ...authenticatorFor('GET /orders', plan.auth) });
 * ```
 */
export function createAuthenticators(options: AuthenticatorsOptions): (id: string, config: AuthConfig | undefined) => { authenticator?: Authenticator } {
  const made = new Map<string, Authenticator>();
  return (id, config) => {
    if (config === undefined) return {};
    const key = JSON.stringify(config);
    let authenticator = made.get(key);
    if (authenticator === undefined) {
      authenticator = createAuthenticator(config, { env: options.env, handler: id, logger: options.logger });
      made.set(key, authenticator);
      authenticator.warm().catch((error: unknown) => {
        options.logger.warn({ err: error, handler: id }, `auth of ${id}: the JWKS could not be fetched; requests will fetch it again`);
      });
    }
    return { authenticator };
  };
}
