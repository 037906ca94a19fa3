/**
 * Inbound authentication of a request or websocket handler (e2rx): checks the credentials of a request (a bearer
 * JWT, an API key), and either gives the verified identity, which the handler's functions find as JSON in state key
 * `auth`, or the refusal to answer: 401 with a `WWW-Authenticate` challenge (RFC 6750), 400 for a malformed
 * `Authorization` header, 403 when a required scope or claim is absent, 503 when the JWKS does not answer.
 *
 * A handler without `auth` has no authenticator: its requests do no work for it at all.
 *
 * @see ../../docs/reference/directive.md#auth-e2rx
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { AUTH_STATE_KEY, type AuthConfig } from '../directive/auth.js';
import type { FunctionRequest } from '../runtime/request.js';
import { createApiKeyMatcher, type ApiKeyMatcher } from './auth-api-key.js';
import { createJwtVerifier, type JwtOutcome, type JwtVerifier } from './auth-jwt.js';
import { sendJson } from './send-json.js';

/** A verified caller. */
export interface Identity {
  /** The JSON put in state key `auth`: the token's claims, or `{"apiKey":"<name>"}`. */
  readonly state: Uint8Array;
  /** The credential headers (lower-case) removed from the request the functions see, unless `keepCredentials`. */
  readonly strip: readonly string[];
  /** When the credentials stop being valid (ms since the epoch, clock skew included): a token's `exp`. */
  readonly expiresAt: number | undefined;
}

/** A refused request: what to answer. */
export interface Refusal {
  readonly status: 400 | 401 | 403 | 503;
  /** The `WWW-Authenticate` value, when there is one. */
  readonly challenge: string | undefined;
  /** The message of the error JSON. */
  readonly message: string;
}

/** The verdict on one request's credentials. */
export type AuthVerdict = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly refusal: Refusal };

/** Checks the credentials of one handler's requests. */
export interface Authenticator {
  /**
   * The verdict: at once when it needs no I/O and no new signature check (an API key, a token verified recently, no
   * credentials), else a Promise. Never throws nor rejects: every failure is a verdict.
   */
  authenticate(request: IncomingMessage): AuthVerdict | Promise<AuthVerdict>;
  /** Fetches what can be fetched ahead (the JWKS), so the first request does not wait; rejects when that fails. */
  warm(): Promise<void>;
}

/** Options of {@link createAuthenticator}. */
export interface AuthenticatorOptions {
  /** The environment for `env(VAR)` values. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The handler, for error messages (`auth.jwt.secret of POST /orders is empty`). */
  readonly handler: string;
  /** Where a JWKS that cannot be fetched is reported (the client is only told to retry). */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** A bearer token in `Authorization` (RFC 6750 §2.1: b64token). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The authenticator of a handler's effective `auth` configuration.
 *
 * @throws {@link E2rxError} `E2RX_ENV_UNSET` or `E2RX_AUTH_CONFIG` when a secret, key or URL cannot be used: at start,
 *   never on a request.
 *
 * @example
 * ```ts
 * const auth = createAuthenticator(effectiveAuth(directive.auth, handler.auth)!, { env: process.env, handler: 'POST /orders' });
 * const verdict = await auth.authenticate(incoming); // a verdict, or a Promise of one
 * if (verdict.ok) applyIdentity(request, verdict.identity);
 * else refuseHttp(response, verdict.refusal);
 * ```
 */
export function createAuthenticator(config: AuthConfig, options: AuthenticatorOptions): Authenticator {
  const jwt: JwtVerifier | undefined = config.jwt && createJwtVerifier(config.jwt, options.env, options.handler);
  const apiKeys: ApiKeyMatcher | undefined = config.apiKeys && createApiKeyMatcher(config.apiKeys, options.env, options.handler);
  const realm = config.realm === undefined ? '' : `realm=${quote(config.realm)}`;
  const challenges = (error?: string, description?: string): string => {
    const list: string[] = [];
    const params = (extra: string[]): string => [realm, ...extra].filter(Boolean).join(', ');
    if (jwt) list.push(`Bearer ${params(error === undefined ? [] : [`error=${quote(error)}`, `error_description=${quote(description ?? '')}`])}`.trimEnd());
    if (apiKeys) list.push(`ApiKey ${params([`header=${quote(config.apiKeys?.header ?? '')}`])}`);
    return list.join(', ');
  };
  const unauthorized = (message: string, error?: string): AuthVerdict => ({ ok: false, refusal: { status: 401, challenge: challenges(error, message), message } });
  const strip = config.keepCredentials ? [] : [...(jwt ? ['authorization'] : []), ...(apiKeys ? [apiKeys.header] : [])];
  const encoder = new TextEncoder();
  const encoded = new WeakMap<object, Uint8Array>();
  const skewMs = (config.jwt?.clockSkewSec ?? 0) * 1000;
  const byKey = new Map<string, AuthVerdict>();
  const identity = (claims: Readonly<Record<string, unknown>>): AuthVerdict => {
    const missing = missingRequirement(claims, config);
    if (missing !== undefined) {
      const challenge = missing.scope !== undefined && jwt ? `Bearer ${[realm, 'error="insufficient_scope"', `scope=${quote(config.scopes.join(' '))}`].filter(Boolean).join(', ')}` : undefined;
      return { ok: false, refusal: { status: 403, challenge, message: missing.message } };
    }
    // The same claims object comes back for a token verified recently: its JSON is encoded once.
    let state = encoded.get(claims);
    if (state === undefined) {
      state = encoder.encode(JSON.stringify(claims));
      encoded.set(claims, state);
    }
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 + skewMs : undefined;
    return { ok: true, identity: { state, strip, expiresAt } };
  };
  const missingMessage = jwt && apiKeys ? `a bearer token or an ${config.apiKeys?.header} header is required` : jwt ? 'a bearer token is required' : `an ${config.apiKeys?.header} header is required`;

  const verdictOf = (outcome: JwtOutcome): AuthVerdict => {
    if (outcome.ok) return identity(outcome.claims);
    if (outcome.unavailable) {
      options.logger?.warn({ handler: options.handler }, `auth of ${options.handler}: ${outcome.reason}`);
      return { ok: false, refusal: { status: 503, challenge: undefined, message: 'the token cannot be verified now: the key set is unavailable; retry later' } };
    }
    return unauthorized(outcome.reason, 'invalid_token');
  };

  return {
    warm: () => jwt?.warm() ?? Promise.resolve(),
    authenticate: (request) => {
      const raw = request.rawHeaders;
      let authorization: string | undefined;
      let key: string | undefined;
      let repeated = false;
      for (let i = 0; i < raw.length; i += 2) {
        // Only a name of the right length is lower-cased (most headers are neither).
        const name = raw[i] as string;
        if (jwt && name.length === 13 && name.toLowerCase() === 'authorization') {
          repeated ||= authorization !== undefined;
          authorization = raw[i + 1];
        } else if (apiKeys && name.length === apiKeys.header.length && name.toLowerCase() === apiKeys.header) {
          repeated ||= key !== undefined;
          key = raw[i + 1];
        }
      }
      if (repeated) return invalidRequest(challenges, 'credentials are given more than once');
      if (apiKeys && key !== undefined) {
        const name = apiKeys.match(key);
        if (name === undefined) return unauthorized('the API key is not valid');
        // One verdict per key, made once: the identity of a key never changes.
        let verdict = byKey.get(name);
        if (verdict === undefined) {
          verdict = identity({ apiKey: name });
          byKey.set(name, verdict);
        }
        return verdict;
      }
      if (jwt && authorization !== undefined && /^bearer(?: |$)/i.test(authorization)) {
        const token = BEARER.exec(authorization)?.[1];
        if (token === undefined) return invalidRequest(challenges, 'the Authorization header is not "Bearer <token>"');
        const outcome = jwt.verify(token);
        return outcome instanceof Promise ? outcome.then(verdictOf) : verdictOf(outcome);
      }
      // No credentials of a kind this handler takes (RFC 6750 §3.1: then no error code).
      return unauthorized(missingMessage);
    },
  };
}

/** 400 `invalid_request` (RFC 6750 §3.1): the credentials are there but not well-formed. */
function invalidRequest(challenges: (error?: string, description?: string) => string, message: string): AuthVerdict {
  return { ok: false, refusal: { status: 400, challenge: challenges('invalid_request', message), message } };
}

/** The first required scope or claim the identity lacks. */
function missingRequirement(claims: Readonly<Record<string, unknown>>, config: AuthConfig): { readonly message: string; readonly scope?: string } | undefined {
  if (config.scopes.length > 0) {
    const granted = new Set<string>();
    const add = (value: unknown): void => {
      if (typeof value === 'string') for (const scope of value.split(' ')) granted.add(scope);
      else if (Array.isArray(value)) for (const scope of value) if (typeof scope === 'string') granted.add(scope);
    };
    add(claims.scope);
    add(claims.scp);
    const scope = config.scopes.find((wanted) => !granted.has(wanted));
    if (scope !== undefined) return { message: `the token lacks the scope ${scope}`, scope };
  }
  for (const [name, wanted] of Object.entries(config.claims)) {
    const value = claims[name];
    const has = Array.isArray(value) ? value.some((entry) => claimText(entry) === wanted) : claimText(value) === wanted;
    if (!has) return { message: `the credentials lack the claim ${name}: ${wanted}` };
  }
  return undefined;
}

function claimText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** An RFC 9110 quoted-string (characters a header cannot carry become `?`). */
function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7E]/g, '?').replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Gives the request its verified identity: state key `auth` holds the identity's JSON, and the credential headers are
 * removed (unless `keepCredentials`), so functions never see the raw token or key.
 */
export function applyIdentity(request: FunctionRequest, identity: Identity): void {
  request.state[AUTH_STATE_KEY] = identity.state;
  for (const name of identity.strip) delete request.headers[name];
}

/** Answers a refused HTTP request: the status, its `WWW-Authenticate` challenge and the error JSON. */
export function refuseHttp(response: ServerResponse, refusal: Refusal): void {
  if (response.headersSent || response.destroyed) return;
  if (refusal.challenge !== undefined) response.setHeader('www-authenticate', refusal.challenge);
  if (refusal.status === 503) response.setHeader('retry-after', '5');
  sendJson(response, refusal.status, { status: refusal.status, message: refusal.message });
}

const REASONS: Readonly<Record<Refusal['status'], string>> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' };

/** Refuses a websocket upgrade: the same answer as {@link refuseHttp}, written on the socket, which is then closed. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ status: refusal.status, message: refusal.message });
  const head = [
    `HTTP/1.1 ${refusal.status} ${REASONS[refusal.status]}`,
    ...(refusal.challenge === undefined ? [] : [`WWW-Authenticate: ${refusal.challenge}`]),
    ...(refusal.status === 503 ? ['Retry-After: 5'] : []),
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
