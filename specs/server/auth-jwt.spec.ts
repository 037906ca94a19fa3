/**
 * Bearer JWT verification (src/server/auth-jwt.ts) with real keys and tokens from `jose`, and a real JWKS server on
 * loopback: every way a token fails, each success path, JWKS caching and rotation, and the configuration refused at
 * start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveAuth, type JwtAuthConfig } from '../../src/directive/auth.js';
import type { AuthInput } from '../../src/directive/schema.js';
import { E2rxError } from '../../src/errors.js';
import { createJwtVerifier, type JwtVerifier } from '../../src/server/auth-jwt.js';
import { keyPair, SECRET, sign, startJwksServer, unsignedToken, type JwksServer, type KeyPair } from './support/tokens.js';

const ENV = { JWT_SECRET: SECRET };

const configOf = (jwt: NonNullable<AuthInput['jwt']>): JwtAuthConfig => effectiveAuth({ jwt }, undefined)?.jwt as JwtAuthConfig;
const verifier = (jwt: NonNullable<AuthInput['jwt']>, env: Record<string, string> = ENV): JwtVerifier => createJwtVerifier(configOf(jwt), env);
const reason = async (verify: JwtVerifier, token: string): Promise<string> => {
  const outcome = await verify.verify(token);
  if (outcome.ok) throw new Error(`the token was accepted: ${JSON.stringify(outcome.claims)}`);
  return outcome.reason;
};
const now = (): number => Math.floor(Date.now() / 1000);

describe('createJwtVerifier - HS256 secret', () => {
  const hs = verifier({ secret: 'env(JWT_SECRET)', issuer: 'https://issuer.example', audience: 'orders-api' });
  const good = { iss: 'https://issuer.example', aud: 'orders-api', sub: 'ada' };

  it('createJwtVerifier - accepts a token signed with the secret and gives its claims', async () => {
    const outcome = await hs.verify(await sign({ secret: SECRET }, { ...good, scope: 'orders:read' }));
    expect(outcome).toMatchObject({ ok: true, claims: { sub: 'ada', scope: 'orders:read', aud: 'orders-api' } });
  });

  it('createJwtVerifier - refuses an expired token', async () => {
    expect(await reason(hs, await sign({ secret: SECRET }, { ...good, exp: now() - 10 }))).toBe('the token expired');
  });

  it('createJwtVerifier - refuses a token not valid yet (nbf)', async () => {
    expect(await reason(hs, await sign({ secret: SECRET }, { ...good, nbf: now() + 300 }))).toBe('the token is not valid yet');
  });

  it('createJwtVerifier - refuses a wrong audience', async () => {
    expect(await reason(hs, await sign({ secret: SECRET }, { ...good, aud: 'billing-api' }))).toBe("the token's audience is not accepted");
  });

  it('createJwtVerifier - refuses a wrong issuer', async () => {
    expect(await reason(hs, await sign({ secret: SECRET }, { ...good, iss: 'https://evil.example' }))).toBe("the token's issuer is not accepted");
  });

  it('createJwtVerifier - refuses a bad signature (another secret)', async () => {
    const forged = await sign({ secret: `${SECRET}-other` }, good);
    expect(await reason(hs, forged)).toBe("the token's signature does not verify");
  });

  it('createJwtVerifier - refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await sign({ secret: SECRET }, good)).split('.');
    const payload = Buffer.from(JSON.stringify({ ...good, sub: 'root', exp: now() + 60 })).toString('base64url');
    expect(await reason(hs, `${header}.${payload}.${signature}`)).toBe("the token's signature does not verify");
  });

  it('createJwtVerifier - refuses alg none, the unsigned token', async () => {
    expect(await reason(hs, unsignedToken(good))).toBe("the token's algorithm is not accepted");
  });

  it('createJwtVerifier - refuses an HMAC algorithm that is not in the list (HS512 when HS256 is accepted)', async () => {
    expect(await reason(hs, await sign({ secret: SECRET }, good, { alg: 'HS512' }))).toBe("the token's algorithm is not accepted");
  });

  it('createJwtVerifier - refuses a token without exp, unless requireExpiry is false', async () => {
    const token = await sign({ secret: SECRET }, { ...good, exp: undefined });
    expect(await reason(hs, token)).toBe('the token has no expiry (exp)');
    const lenient = verifier({ secret: 'env(JWT_SECRET)', audience: 'orders-api', requireExpiry: false });
    expect((await lenient.verify(token)).ok).toBe(true);
  });

  it('createJwtVerifier - tolerates clockSkewSec of clock difference, and no more', async () => {
    const token = await sign({ secret: SECRET }, { ...good, exp: now() - 20 });
    expect(await reason(hs, token)).toBe('the token expired');
    const skewed = verifier({ secret: 'env(JWT_SECRET)', issuer: 'https://issuer.example', audience: 'orders-api', clockSkewSec: 60 });
    expect((await skewed.verify(token)).ok).toBe(true);
    expect(await reason(skewed, await sign({ secret: SECRET }, { ...good, exp: now() - 120 }))).toBe('the token expired');
  });

  it('createJwtVerifier - refuses what is not a JWT', async () => {
    expect(await reason(hs, 'abc')).toBe('the token is malformed');
    expect(await reason(hs, 'a.b.c')).toBe('the token is malformed');
  });

  it('createJwtVerifier - accepts any of several audiences', async () => {
    const many = verifier({ secret: 'env(JWT_SECRET)', audience: ['a', 'orders-api'] });
    expect((await many.verify(await sign({ secret: SECRET }, good))).ok).toBe(true);
  });
});

describe('createJwtVerifier - public keys', () => {
  let rsa: KeyPair;
  let ec: KeyPair;
  let ed: KeyPair;
  beforeAll(async () => {
    [rsa, ec, ed] = await Promise.all([keyPair('RS256', 'rsa-1'), keyPair('ES256', 'ec-1'), keyPair('EdDSA', 'ed-1')]);
  });

  it('createJwtVerifier - RS256 with a PEM public key from the environment (its default algorithm)', async () => {
    const verify = verifier({ publicKey: 'env(JWT_PUBLIC_KEY)', audience: 'api' }, { JWT_PUBLIC_KEY: rsa.publicPem });
    expect(verify.algorithms).toEqual(['RS256']);
    expect(await verify.verify(await sign(rsa, { aud: 'api', sub: 'ada' }))).toMatchObject({ ok: true, claims: { sub: 'ada' } });
  });

  it('createJwtVerifier - a PEM written on one line with \\n escapes, as environment files carry it', async () => {
    const verify = verifier({ publicKey: 'env(JWT_PUBLIC_KEY)', audience: 'api' }, { JWT_PUBLIC_KEY: rsa.publicPem.trim().replaceAll('\n', '\\n') });
    expect((await verify.verify(await sign(rsa, { aud: 'api' }))).ok).toBe(true);
  });

  it('createJwtVerifier - ES256 with a JWK as JSON', async () => {
    const verify = verifier({ publicKey: 'env(JWT_PUBLIC_KEY)', audience: 'api' }, { JWT_PUBLIC_KEY: JSON.stringify(ec.publicJwk) });
    expect(verify.algorithms).toEqual(['ES256']);
    expect((await verify.verify(await sign(ec, { aud: 'api' }))).ok).toBe(true);
  });

  it('createJwtVerifier - EdDSA with a PEM key', async () => {
    const verify = verifier({ publicKey: 'env(K)', audience: 'api' }, { K: ed.publicPem });
    expect((await verify.verify(await sign(ed, { aud: 'api' }))).ok).toBe(true);
  });

  it('createJwtVerifier - refuses a token signed by another key of the same type (bad signature)', async () => {
    const other = await keyPair('RS256', 'rsa-2');
    const verify = verifier({ publicKey: 'env(K)', audience: 'api' }, { K: rsa.publicPem });
    expect(await reason(verify, await sign(other, { aud: 'api' }))).toBe("the token's signature does not verify");
  });

  it('createJwtVerifier - refuses algorithm confusion: an HS256 token signed with the public key as the secret', async () => {
    const verify = verifier({ publicKey: 'env(K)', audience: 'api' }, { K: rsa.publicPem });
    const confused = await sign({ secret: rsa.publicPem }, { aud: 'api' }, { alg: 'HS256' });
    expect(await reason(verify, confused)).toBe("the token's algorithm is not accepted");
    expect(await reason(verify, unsignedToken({ aud: 'api' }))).toBe("the token's algorithm is not accepted");
  });
});

describe('createJwtVerifier - JWKS', () => {
  let first: KeyPair;
  let second: KeyPair;
  let jwks: JwksServer;
  beforeAll(async () => {
    [first, second] = await Promise.all([keyPair('RS256', 'k1'), keyPair('ES256', 'k2')]);
    jwks = await startJwksServer([first]);
  });
  afterAll(async () => {
    await jwks.close();
  });

  it('createJwtVerifier - fetches the key set once and verifies many tokens from its cache', async () => {
    const before = jwks.fetches;
    const verify = verifier({ jwksUrl: jwks.url, audience: 'api' });
    for (let i = 0; i < 5; i += 1) expect((await verify.verify(await sign(first, { aud: 'api', n: i }))).ok).toBe(true);
    expect(jwks.fetches - before).toBe(1);
  });

  it('createJwtVerifier - refuses an unknown kid after fetching the set again (past the cooldown)', async () => {
    const verify = verifier({ jwksUrl: jwks.url, audience: 'api', jwksCooldownMs: 0 });
    expect((await verify.verify(await sign(first, { aud: 'api' }))).ok).toBe(true);
    const before = jwks.fetches;
    const stranger = await keyPair('RS256', 'nobody');
    expect(await reason(verify, await sign(stranger, { aud: 'api' }))).toBe('no key of the key set matches the token');
    expect(jwks.fetches - before).toBe(1);
  });

  it('createJwtVerifier - within the cooldown, an unknown kid is refused without another fetch', async () => {
    const verify = verifier({ jwksUrl: jwks.url, audience: 'api', jwksCooldownMs: 60_000 });
    expect((await verify.verify(await sign(first, { aud: 'api' }))).ok).toBe(true);
    const before = jwks.fetches;
    const stranger = await keyPair('RS256', 'nobody-2');
    for (let i = 0; i < 3; i += 1) expect(await reason(verify, await sign(stranger, { aud: 'api' }))).toBe('no key of the key set matches the token');
    expect(jwks.fetches).toBe(before);
  });

  it('createJwtVerifier - follows a key rotation: a token with the new kid makes it fetch the new set', async () => {
    const verify = verifier({ jwksUrl: jwks.url, audience: 'api', jwksCooldownMs: 0 });
    expect((await verify.verify(await sign(first, { aud: 'api' }))).ok).toBe(true);
    jwks.setKeys([first, second]);
    try {
      expect((await verify.verify(await sign(second, { aud: 'api' }))).ok).toBe(true);
      jwks.setKeys([second]);
      // The old key is still cached until the set is fetched again; the new one keeps working.
      expect((await verify.verify(await sign(second, { aud: 'api' }))).ok).toBe(true);
    } finally {
      jwks.setKeys([first]);
    }
  });

  it('createJwtVerifier - a key set that does not answer in time is unavailable (503), not the token', async () => {
    const verify = verifier({ jwksUrl: jwks.url, audience: 'api', jwksTimeoutMs: 100 });
    jwks.setDelay(1_000);
    try {
      const outcome = await verify.verify(await sign(first, { aud: 'api' }));
      expect(outcome).toMatchObject({ ok: false, unavailable: true });
      expect(outcome.ok ? '' : outcome.reason).toMatch(/^the key set at http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json is unavailable/);
    } finally {
      jwks.setDelay(0);
    }
  });

  it('createJwtVerifier - a key set that cannot be reached is unavailable', async () => {
    const closed = await startJwksServer([first]);
    await closed.close();
    const outcome = await verifier({ jwksUrl: closed.url, audience: 'api' }).verify(await sign(first, { aud: 'api' }));
    expect(outcome).toMatchObject({ ok: false, unavailable: true });
  });

  it('createJwtVerifier - refuses alg none and HS256 against a JWKS', async () => {
    const verify = verifier({ jwksUrl: jwks.url, audience: 'api' });
    expect(await reason(verify, unsignedToken({ aud: 'api' }))).toBe("the token's algorithm is not accepted");
    expect(await reason(verify, await sign({ secret: SECRET }, { aud: 'api' }))).toBe("the token's algorithm is not accepted");
  });
});

describe('createJwtVerifier - configuration refused at start', () => {
  const codeOf = (make: () => unknown): string => {
    try {
      make();
    } catch (error) {
      return E2rxError.is(error) ? `${error.code}: ${error.message}` : String(error);
    }
    return 'no error';
  };

  it('createJwtVerifier - an unset secret variable is E2RX_ENV_UNSET, never an empty key', () => {
    expect(codeOf(() => verifier({ secret: 'env(NOPE)' }, {}))).toBe('E2RX_ENV_UNSET: auth.jwt.secret is empty: env(NOPE) is unset');
  });

  it('createJwtVerifier - a secret shorter than 32 bytes is E2RX_AUTH_CONFIG', () => {
    expect(codeOf(() => verifier({ secret: 'env(S)' }, { S: 'short' }))).toMatch(/^E2RX_AUTH_CONFIG: auth\.jwt: the secret has 5 bytes; an HMAC secret needs at least 32/);
  });

  it('createJwtVerifier - a public key that is not one, a private key, and a key that does not fit the algorithm', async () => {
    const ec = await keyPair('ES256', 'e');
    expect(codeOf(() => verifier({ publicKey: 'env(K)' }, { K: 'not a key' }))).toMatch(/^E2RX_AUTH_CONFIG: auth\.jwt: the public key cannot be read/);
    expect(codeOf(() => verifier({ publicKey: 'env(K)' }, { K: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----' }))).toMatch(/is a private key/);
    expect(codeOf(() => verifier({ publicKey: 'env(K)', algorithms: ['RS256'] }, { K: ec.publicPem }))).toBe(
      'E2RX_AUTH_CONFIG: auth.jwt: the public key (ec prime256v1) cannot verify RS256; it fits ES256',
    );
  });
});
