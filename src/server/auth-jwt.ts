/**
 * Bearer JWT verification of inbound authentication, with `jose`: the key (an HMAC secret, a public key, or a
 * remote JWKS with caching) is prepared once at start; each token is verified for its signature, algorithm, `exp`,
 * `nbf`, issuer and audience, and a failure is mapped to the reason the client is told. A token verified recently is
 * not verified again (see `auth-token-cache.ts`).
 *
 * The JWKS URL comes from the operator's Directive, not from a function, so the guest SSRF rules do not apply to it;
 * its fetch has a time limit, follows no redirect, and a key set that does not answer is a 503, not the client's fault.
 *
 * @see ../../docs/reference/directive.md#auth-e2rx
 * @module
 */
import { createPublicKey, webcrypto, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { PUBLIC_KEY_ALGORITHMS, type JwtAlgorithm, type JwtAuthConfig } from '../directive/auth.js';
import { envReference, resolveEnv } from '../directive/env.js';
import { E2rxError } from '../errors.js';
import { lazyModule } from '../lazy-module.js';
import { createTokenCache } from './auth-token-cache.js';

/** jose, loaded when an app first verifies a token (about 4 MB of memory that an app without JWT auth never needs). */
const jose = lazyModule<typeof import('jose')>('jose');

/** The smallest HMAC secret accepted, in bytes: the output size of SHA-256 (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;

/** The outcome of verifying one token. */
export type JwtOutcome =
  | { readonly ok: true; readonly claims: JWTPayload }
  /** The token is not acceptable (401): `reason` is what the client is told. */
  | { readonly ok: false; readonly unavailable: false; readonly reason: string }
  /** The key set could not be fetched (503): not the client's fault. */
  | { readonly ok: false; readonly unavailable: true; readonly reason: string };

/** Verifies the bearer tokens of one handler. */
export interface JwtVerifier {
  /** The outcome; at once (not a Promise) for a token verified recently, which is what most requests carry. */
  verify(token: string): JwtOutcome | Promise<JwtOutcome>;
  /** The accepted algorithms. */
  readonly algorithms: readonly string[];
  /** Fetches the JWKS now (for a JWKS verifier; a no-op otherwise), so the first request does not wait for it. */
  warm(): Promise<void>;
}

/**
 * Prepares the verifier of a `jwt` block: resolves `env(VAR)` values, parses the key and checks it against the
 * algorithms.
 *
 * @throws {@link E2rxError} `E2RX_ENV_UNSET` when the secret, key or URL is `env(VAR)` with `VAR` unset, and
 *   `E2RX_AUTH_CONFIG` when the secret is shorter than {@link MIN_SECRET_BYTES}, the public key cannot be read, or an
 *   algorithm does not fit it.
 *
 * @example
 * ```ts
 * const verifier = createJwtVerifier(config.jwt, process.env, 'POST /orders');
 * const outcome = await verifier.verify(token);
 * if (!outcome.ok) console.log(outcome.reason); // 'the token expired'
 * ```
 */
export function createJwtVerifier(config: JwtAuthConfig, env: Readonly<Record<string, string | undefined>>, handler = ''): JwtVerifier {
  const of = handler === '' ? '' : ` of ${handler}`;
  const required = (key: 'secret' | 'publicKey' | 'jwksUrl'): string => {
    const written = config[key] as string;
    const value = resolveEnv(written, env);
    if (value !== '') return value;
    const variable = envReference(written);
    throw new E2rxError('E2RX_ENV_UNSET', `auth.jwt.${key}${of} is empty${variable === undefined ? '' : `: env(${variable}) is unset`}`, {
      hint: variable === undefined ? `give auth.jwt.${key} a value` : `set ${variable} in the environment of e2rx start`,
    });
  };
  const fail = (message: string, cause?: unknown): E2rxError => new E2rxError('E2RX_AUTH_CONFIG', `auth.jwt${of}: ${message}`, cause === undefined ? {} : { cause });
  const options = (algorithms: readonly string[]): JWTVerifyOptions => ({
    algorithms: [...algorithms],
    clockTolerance: config.clockSkewSec,
    ...(config.issuer.length > 0 ? { issuer: [...config.issuer] } : {}),
    ...(config.audience.length > 0 ? { audience: [...config.audience] } : {}),
    ...(config.requireExpiry ? { requiredClaims: ['exp'] } : {}),
  });

  if (config.secret !== undefined) {
    const secret = new TextEncoder().encode(required('secret'));
    if (secret.length < MIN_SECRET_BYTES) {
      throw fail(`the secret has ${secret.length} bytes; an HMAC secret needs at least ${MIN_SECRET_BYTES} (openssl rand -base64 32 makes one)`);
    }
    const algorithms = config.algorithms.length > 0 ? config.algorithms : ['HS256'];
    // One CryptoKey per algorithm, imported once: jose would import a raw secret again for every token.
    const keys = new Map<string, Promise<webcrypto.CryptoKey>>();
    const getKey: JWTVerifyGetKey = (header) => {
      const alg = header.alg;
      let key = keys.get(alg);
      if (key === undefined) {
        key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify']);
        keys.set(alg, key);
      }
      return key;
    };
    return localVerifier(getKey, options(algorithms), algorithms);
  }

  if (config.publicKey !== undefined) {
    let key: KeyObject;
    try {
      key = readPublicKey(required('publicKey'));
    } catch (error) {
      if (error instanceof E2rxError) throw error;
      throw fail(`the public key cannot be read (${(error as Error).message}): give a PEM public key or certificate, or a JWK as JSON`, error);
    }
    const fitting = algorithmsFor(key);
    const algorithms = config.algorithms.length > 0 ? config.algorithms : fitting.slice(0, 1);
    const misfit = algorithms.filter((algorithm) => !fitting.includes(algorithm as JwtAlgorithm));
    if (misfit.length > 0 || algorithms.length === 0) {
      throw fail(`the public key (${describeKey(key)}) cannot verify ${misfit.join(', ') || 'any algorithm e2rx accepts'}; it fits ${fitting.join(', ') || 'none'}`);
    }
    return localVerifier(key, options(algorithms), algorithms);
  }

  const url = required('jwksUrl');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw fail(`the JWKS URL is not a URL: ${url}`, error);
  }
  const jwks = jose().createRemoteJWKSet(parsed, {
    timeoutDuration: config.jwksTimeoutMs,
    cacheMaxAge: config.jwksCacheMaxAgeMs,
    cooldownDuration: config.jwksCooldownMs,
  });
  const algorithms = config.algorithms.length > 0 ? config.algorithms : PUBLIC_KEY_ALGORITHMS;
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      const { errors } = jose();
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new KeySetUnavailable(parsed, error);
    }
  };
  const verifier = localVerifier(getKey, options(algorithms), algorithms);
  return { ...verifier, warm: () => jwks.reload() };
}

/** The JWKS could not be fetched or read. */
class KeySetUnavailable extends Error {
  constructor(url: URL, cause: unknown) {
    super(`the key set at ${url.origin}${url.pathname} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function localVerifier(key: KeyObject | JWTVerifyGetKey, options: JWTVerifyOptions, algorithms: readonly string[]): JwtVerifier {
  const verify = typeof key === 'function' ? (token: string) => jose().jwtVerify(token, key, options) : (token: string) => jose().jwtVerify(token, key, options);
  const verified = createTokenCache(typeof options.clockTolerance === 'number' ? options.clockTolerance : 0);
  return {
    algorithms,
    warm: () => Promise.resolve(),
    verify: (token) => {
      const cached = verified.get(token);
      if (cached !== undefined) return { ok: true, claims: cached };
      return verify(token).then(
        ({ payload }): JwtOutcome => {
          verified.set(token, payload);
          return { ok: true, claims: payload };
        },
        (error: unknown): JwtOutcome =>
          error instanceof KeySetUnavailable ? { ok: false, unavailable: true, reason: error.message } : { ok: false, unavailable: false, reason: rejection(error) },
      );
    },
  };
}

/** What the client is told about a token that failed verification (RFC 6750 `error_description`). */
function rejection(error: unknown): string {
  const { errors } = jose();
  if (error instanceof errors.JWTExpired) return 'the token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    if (error.claim === 'iss') return "the token's issuer is not accepted";
    if (error.claim === 'aud') return "the token's audience is not accepted";
    if (error.claim === 'exp' && error.reason === 'missing') return 'the token has no expiry (exp)';
    return `the token's ${error.claim} claim is not valid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not accepted";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the key set matches the token';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the token is malformed';
  return 'the token cannot be verified';
}

/**
 * A public key from PEM (SPKI, PKCS#1, or a certificate) or a JWK as JSON. Environment files often carry a PEM on one
 * line with `\n` escapes: those are turned back into line breaks.
 */
function readPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const jwk = JSON.parse(trimmed) as Record<string, unknown>;
    if ('d' in jwk) throw new E2rxError('E2RX_AUTH_CONFIG', 'the JWK given as public key is a private key: give its public part (without "d")');
    return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  }
  const pem = trimmed.includes('\n') ? trimmed : trimmed.replaceAll('\\n', '\n');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new E2rxError('E2RX_AUTH_CONFIG', 'the PEM given as public key is a private key: give the public key (openssl pkey -pubout)');
  }
  if (pem.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(pem).publicKey;
  return createPublicKey(pem);
}

/** The algorithms a public key can verify, the usual one first. */
function algorithmsFor(key: KeyObject): JwtAlgorithm[] {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = details?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      if (curve === 'secp521r1') return ['ES512'];
      return [];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return `${key.asymmetricKeyType ?? 'unknown'}${curve === undefined ? '' : ` ${curve}`}`;
}
