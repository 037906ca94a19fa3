/**
 * API keys of inbound authentication: the keys of an `auth.apiKeys` block, resolved from the environment once, and
 * a constant-time check of the key a request presents.
 *
 * @see ../../docs/reference/directive.md#auth-e2rx
 * @module
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { ApiKeysConfig } from '../directive/auth.js';
import { envReference, resolveEnv } from '../directive/env.js';
import { E2rxError } from '../errors.js';

/** The accepted API keys of one handler. */
export interface ApiKeyMatcher {
  /** The header that carries the key, lower-cased. */
  readonly header: string;
  /** The name of the key `presented` is, or `undefined` when it is none of them. */
  match(presented: string): string | undefined;
}

/**
 * Resolves the keys (`env(VAR)` from `env`) and returns their matcher. Each key is kept as its SHA-256 digest, and a
 * presented key is compared, digest to digest, with every key in constant time: how long the check takes says
 * nothing about how close a guess was.
 *
 * @throws {@link E2rxError} `E2RX_ENV_UNSET` when a key is `env(VAR)` and `VAR` is unset or empty: an empty key
 *   would be a key anyone can present.
 *
 * @example
 * ```ts
 * const keys = createApiKeyMatcher({ header: 'X-API-Key', keys: { ci: 'env(CI_API_KEY)' } }, { CI_API_KEY: 'k-123' }, 'POST /orders');
 * keys.match('k-123'); // 'ci'
 * keys.match('k-124'); // undefined
 * ```
 */
export function createApiKeyMatcher(config: ApiKeysConfig, env: Readonly<Record<string, string | undefined>>, handler = ''): ApiKeyMatcher {
  const of = handler === '' ? '' : ` of ${handler}`;
  const digests: { readonly name: string; readonly digest: Buffer }[] = [];
  for (const [name, written] of Object.entries(config.keys)) {
    const key = resolveEnv(written, env);
    if (key === '') {
      const variable = envReference(written);
      throw new E2rxError('E2RX_ENV_UNSET', `auth.apiKeys.keys.${name}${of} is empty${variable === undefined ? '' : `: env(${variable}) is unset`}`, {
        hint: variable === undefined ? 'give the key a value' : `set ${variable} in the environment of e2rx start`,
      });
    }
    digests.push({ name, digest: sha256(key) });
  }
  return {
    header: config.header.toLowerCase(),
    match: (presented) => {
      const digest = sha256(presented);
      let found: string | undefined;
      // Every key is compared, the match or not: no early exit.
      for (const key of digests) if (timingSafeEqual(digest, key.digest) && found === undefined) found = key.name;
      return found;
    },
  };
}

function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}
