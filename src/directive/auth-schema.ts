/**
 * The schema of inbound authentication (e2rx `auth`, app-wide and per request or websocket handler): bearer JWTs and
 * API keys. Not Atmo's `authentication`, which is outbound.
 *
 * @module
 */
import { z } from 'zod';
import { count, flag, stringMap, text } from './schema-fields.js';

const oneOrMany = (description: string) => z.union([z.string(), z.array(z.string())]).describe(description);

/** Bearer JWT verification of inbound requests (e2rx). */
export const JwtAuthSchema = z
  .object({
    secret: text('(e2rx) The HMAC secret (HS256, HS384, HS512); write `env(VAR)`, never the secret itself.').optional(),
    publicKey: text('(e2rx) The public key: PEM (SPKI or certificate) or a JWK as JSON; `env(VAR)` allowed.').optional(),
    jwksUrl: text("(e2rx) The issuer's JWKS URL (its keys are fetched, cached and refetched for an unknown `kid`); `env(VAR)` allowed.").optional(),
    issuer: oneOrMany('(e2rx) The accepted `iss` value(s); without it any issuer is accepted.').optional(),
    audience: oneOrMany('(e2rx) The accepted `aud` value(s); without it any audience is accepted.').optional(),
    algorithms: z
      .array(z.string())
      .describe('(e2rx) The accepted `alg` values (default: HS256 for a secret, the key\'s own for a public key, every asymmetric one for a JWKS); never `none`.')
      .optional(),
    clockSkewSec: count('(e2rx) Seconds of clock difference tolerated for `exp` and `nbf` (default 0).').optional(),
    requireExpiry: flag('(e2rx) Whether a token without `exp` is refused (default true).').optional(),
    jwksTimeoutMs: z.number().int().min(1).describe('(e2rx) Time limit of one JWKS fetch (default 5000).').optional(),
    jwksCacheMaxAgeMs: z.number().int().min(1).describe('(e2rx) How long fetched keys are used before the JWKS is fetched again (default 600000).').optional(),
    jwksCooldownMs: count('(e2rx) After a JWKS fetch, how long a token with an unknown `kid` is refused without fetching again (default 30000).').optional(),
  })
  .describe('(e2rx) Bearer JWTs (`Authorization: Bearer <token>`): exactly one of `secret`, `publicKey`, `jwksUrl`.');

/** Inbound authentication of request and websocket handlers (e2rx); not `authentication`, which is outbound. */
export const AuthSchema = z
  .object({
    enabled: flag('(e2rx) Whether requests must authenticate (default true when the block is given).').optional(),
    jwt: JwtAuthSchema.optional(),
    apiKeys: z
      .object({
        header: text('(e2rx) The request header that carries the key (default `X-API-Key`).').optional(),
        keys: stringMap('(e2rx) The accepted keys by name (`ci: env(CI_API_KEY)`); functions see the name, never the key.').optional(),
      })
      .describe('(e2rx) API keys in a request header, compared in constant time.')
      .optional(),
    scopes: z.array(z.string()).describe('(e2rx) Scopes the token must carry (in `scope` or `scp`); 403 when one is missing.').optional(),
    claims: stringMap('(e2rx) Claims the identity must carry with these values (a list claim must contain the value); 403 otherwise.').optional(),
    keepCredentials: flag('(e2rx) Leave the Authorization or API key header visible to functions (default false: removed).').optional(),
    realm: text('(e2rx) The realm of the `WWW-Authenticate` challenge (default: the app identifier).').optional(),
  })
  .describe('(e2rx) Inbound authentication: requests without valid credentials get 401, without a required scope or claim 403.');

