/**
 * Inbound authentication (e2rx) as configured: the app-wide `auth` block and a handler's own, merged into the one
 * configuration a handler runs with. Pure: `env(VAR)` values stay as written (the server resolves them at start).
 *
 * Not to be confused with Atmo's `authentication` and `capabilities.auth`, which add credentials to *outbound*
 * requests of functions.
 *
 * @see ../../docs/reference/directive.md#auth-e2rx
 * @module
 */
import { compact } from './normalize.js';
import type { AuthInput } from './schema.js';

/** The state key under which a function finds the verified identity (the JWT claims, or `{"apiKey": name}`) as JSON. */
export const AUTH_STATE_KEY = 'auth';

/** The request header that carries an API key when `apiKeys.header` is not given. */
export const DEFAULT_API_KEY_HEADER = 'X-API-Key';

/** The default time limit of one JWKS fetch. */
export const DEFAULT_JWKS_TIMEOUT_MS = 5_000;

/** The default time fetched JWKS keys are used before the set is fetched again. */
export const DEFAULT_JWKS_CACHE_MAX_AGE_MS = 600_000;

/** The default time after a JWKS fetch during which an unknown `kid` does not cause another fetch. */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;

/** The JWS algorithms e2rx accepts, by the kind of key that verifies them. `none` is never one of them. */
export const JWT_ALGORITHMS = {
  HS256: 'secret',
  HS384: 'secret',
  HS512: 'secret',
  RS256: 'public',
  RS384: 'public',
  RS512: 'public',
  PS256: 'public',
  PS384: 'public',
  PS512: 'public',
  ES256: 'public',
  ES384: 'public',
  ES512: 'public',
  EdDSA: 'public',
  Ed25519: 'public',
} as const satisfies Record<string, 'secret' | 'public'>;

/** A JWS algorithm e2rx accepts. */
export type JwtAlgorithm = keyof typeof JWT_ALGORITHMS;

/** Whether `name` is an algorithm e2rx accepts (case-sensitive, as `alg` is). */
export function isJwtAlgorithm(name: string): name is JwtAlgorithm {
  return Object.hasOwn(JWT_ALGORITHMS, name);
}

/** The asymmetric algorithms: the default for a JWKS. */
export const PUBLIC_KEY_ALGORITHMS: readonly JwtAlgorithm[] = (Object.keys(JWT_ALGORITHMS) as JwtAlgorithm[]).filter(
  (name) => JWT_ALGORITHMS[name] === 'public',
);

/** Bearer JWT verification, defaults applied (`env(VAR)` unresolved). */
export interface JwtAuthConfig {
  /** Exactly one of `secret`, `publicKey`, `jwksUrl` is set. */
  readonly secret?: string;
  readonly publicKey?: string;
  readonly jwksUrl?: string;
  readonly issuer: readonly string[];
  readonly audience: readonly string[];
  /** The accepted algorithms; empty means the default for the key (see the server's verifier). */
  readonly algorithms: readonly string[];
  readonly clockSkewSec: number;
  readonly requireExpiry: boolean;
  readonly jwksTimeoutMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
}

/** API keys, defaults applied (`env(VAR)` unresolved). */
export interface ApiKeysConfig {
  /** The header name as written (`X-API-Key`). */
  readonly header: string;
  /** Key name → key (or `env(VAR)`). */
  readonly keys: Readonly<Record<string, string>>;
}

/** The inbound authentication one handler runs with. */
export interface AuthConfig {
  readonly jwt: JwtAuthConfig | undefined;
  readonly apiKeys: ApiKeysConfig | undefined;
  readonly scopes: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  readonly keepCredentials: boolean;
  /** The realm of the challenge, when there is one. */
  readonly realm: string | undefined;
}

/**
 * The authentication of a handler: the app-wide block with the handler's keys laid over it, key by key (a handler's
 * `jwt` replaces the app's `jwt` whole; its `scopes` replace the app's `scopes`). `undefined` when the merged block
 * is absent or `enabled: false`, or has neither `jwt` nor `apiKeys` (validation reports that case).
 *
 * @example
 * ```ts
 * effectiveAuth({ jwt: { secret: 'env(JWT_SECRET)' } }, { scopes: ['orders:read'] }, 'com.example.shop');
 * // { jwt: { secret: 'env(JWT_SECRET)', algorithms: [], ... }, scopes: ['orders:read'], realm: 'com.example.shop', ... }
 * effectiveAuth({ jwt: { secret: 'env(JWT_SECRET)' } }, { enabled: false }, 'com.example.shop'); // undefined
 * ```
 */
export function effectiveAuth(app: AuthInput | undefined, handler: AuthInput | undefined, defaultRealm?: string): AuthConfig | undefined {
  if (app === undefined && handler === undefined) return undefined;
  const merged: AuthInput = { ...app, ...compact({ ...handler }) };
  if (merged.enabled === false || (merged.jwt === undefined && merged.apiKeys === undefined)) return undefined;
  const jwt = merged.jwt;
  const list = (value: string | readonly string[] | undefined): readonly string[] => (value === undefined ? [] : typeof value === 'string' ? [value] : value);
  return {
    jwt:
      jwt === undefined
        ? undefined
        : {
            ...(jwt.secret === undefined ? {} : { secret: jwt.secret }),
            ...(jwt.publicKey === undefined ? {} : { publicKey: jwt.publicKey }),
            ...(jwt.jwksUrl === undefined ? {} : { jwksUrl: jwt.jwksUrl }),
            issuer: list(jwt.issuer),
            audience: list(jwt.audience),
            algorithms: jwt.algorithms ?? [],
            clockSkewSec: jwt.clockSkewSec ?? 0,
            requireExpiry: jwt.requireExpiry ?? true,
            jwksTimeoutMs: jwt.jwksTimeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS,
            jwksCacheMaxAgeMs: jwt.jwksCacheMaxAgeMs ?? DEFAULT_JWKS_CACHE_MAX_AGE_MS,
            jwksCooldownMs: jwt.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS,
          },
    apiKeys: merged.apiKeys === undefined ? undefined : { header: merged.apiKeys.header || DEFAULT_API_KEY_HEADER, keys: merged.apiKeys.keys ?? {} },
    scopes: merged.scopes ?? [],
    claims: merged.claims ?? {},
    keepCredentials: merged.keepCredentials ?? false,
    realm: merged.realm || defaultRealm || undefined,
  };
}
