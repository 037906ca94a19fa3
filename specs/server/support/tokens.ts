/**
 * Tokens and key sets for the inbound auth specs: real keys from `jose`, tokens signed with them, and a real JWKS
 * server on loopback (port 0) that counts its fetches and can rotate its keys or stop answering.
 *
 * @example
 * ```ts
 * const keys = await keyPair('RS256', 'k1');
 * const token = await sign(keys, { sub: 'ada', aud: 'api' });
 * const jwks = await startJwksServer([keys]);
 * ```
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** An HMAC secret of 32 bytes, as the specs' environment holds it. */
export const SECRET = 'spec-secret-0123456789abcdef-0123456789';

/** A key pair with its `kid`, its public key as PEM and as a JWK. */
export interface KeyPair {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicPem: string;
  readonly publicJwk: JWK;
}

/** A fresh key pair for `alg` (RS256, ES256, EdDSA…). */
export async function keyPair(alg: string, kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicPem: await exportSPKI(publicKey), publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** Signs `claims` (an `exp` one hour ahead unless given; `exp: undefined` for none) with a key pair, or a secret as HS256. */
export async function sign(
  key: KeyPair | { readonly secret: string; readonly alg?: string },
  claims: Readonly<Record<string, unknown>>,
  header: { readonly kid?: string; readonly alg?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iat: now, exp: now + 3600, ...claims } as JWTPayload;
  const alg = header.alg ?? key.alg ?? 'HS256';
  const kid = header.kid ?? ('kid' in key ? key.kid : undefined);
  const jwt = new SignJWT(payload).setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }) });
  return 'secret' in key ? jwt.sign(new TextEncoder().encode(key.secret)) : jwt.sign(key.privateKey);
}

/** An unsigned token (`alg: none`, empty signature), as an attacker would send it. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iat: now, exp: now + 3600, ...claims })}.`;
}

/** A JWKS server. */
export interface JwksServer {
  readonly url: string;
  /** Fetches served so far. */
  readonly fetches: number;
  /** Serves these keys from now on. */
  setKeys(keys: readonly KeyPair[]): void;
  /** Delays every answer by `ms` (to make a fetch time out). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/** Starts a JWKS server on 127.0.0.1 serving the public keys of `keys` at `/.well-known/jwks.json`. */
export async function startJwksServer(keys: readonly KeyPair[]): Promise<JwksServer> {
  let current = keys;
  let fetches = 0;
  let delay = 0;
  const server: Server = createServer((request, response) => {
    fetches += 1;
    const answer = (): void => {
      if (request.url !== '/.well-known/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current.map((key) => key.publicJwk) }));
    };
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    setKeys: (next) => {
      current = next;
    },
    setDelay: (ms) => {
      delay = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
