/**
 * API keys (src/server/auth-api-key.ts): resolved from the environment once, matched by name, an empty key refused at
 * start.
 */
import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { createApiKeyMatcher } from '../../src/server/auth-api-key.js';

describe('createApiKeyMatcher', () => {
  it('createApiKeyMatcher - gives the name of the key presented, and nothing for any other string', () => {
    const keys = createApiKeyMatcher({ header: 'X-API-Key', keys: { ci: 'env(CI)', partner: 'env(PARTNER)' } }, { CI: 'k-ci-1', PARTNER: 'k-partner-2' });
    expect(keys.header).toBe('x-api-key');
    expect(keys.match('k-ci-1')).toBe('ci');
    expect(keys.match('k-partner-2')).toBe('partner');
    for (const wrong of ['', 'k-ci-', 'k-ci-1 ', 'K-CI-1', 'env(CI)', 'k-ci-1k-partner-2']) expect(keys.match(wrong), wrong).toBeUndefined();
  });

  it('createApiKeyMatcher - two names for one key: the first listed', () => {
    const keys = createApiKeyMatcher({ header: 'X-Key', keys: { old: 'env(A)', new: 'env(B)' } }, { A: 'same', B: 'same' });
    expect(keys.match('same')).toBe('old');
  });

  it('createApiKeyMatcher - an unset variable is E2RX_ENV_UNSET naming the key and the handler', () => {
    let caught: unknown;
    try {
      createApiKeyMatcher({ header: 'X-API-Key', keys: { ci: 'env(CI)' } }, { CI: '' }, 'POST /orders');
    } catch (error) {
      caught = error;
    }
    expect(E2rxError.is(caught, 'E2RX_ENV_UNSET')).toBe(true);
    expect((caught as Error).message).toBe('auth.apiKeys.keys.ci of POST /orders is empty: env(CI) is unset');
  });
});
