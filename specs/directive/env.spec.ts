import { describe, expect, it } from 'vitest';
import { envReference, resolveEnv } from '../../src/directive/env.js';

describe('resolveEnv', () => {
  const env = { DATABASE_URL: 'postgresql://db/app', EMPTY: '' };

  it('resolveEnv - replaces a value that is entirely env(NAME)', () => {
    expect(resolveEnv('env(DATABASE_URL)', env)).toBe('postgresql://db/app');
  });

  it('resolveEnv - gives the empty string for an unset variable', () => {
    expect(resolveEnv('env(NOT_SET)', env)).toBe('');
    expect(resolveEnv('env(EMPTY)', env)).toBe('');
  });

  it('resolveEnv - leaves values that only contain env(NAME) as written: no partial interpolation', () => {
    expect(resolveEnv('prefix-env(DATABASE_URL)', env)).toBe('prefix-env(DATABASE_URL)');
    expect(resolveEnv('env(DATABASE_URL)-suffix', env)).toBe('env(DATABASE_URL)-suffix');
    expect(resolveEnv(' env(DATABASE_URL)', env)).toBe(' env(DATABASE_URL)');
    expect(resolveEnv('ENV(DATABASE_URL)', env)).toBe('ENV(DATABASE_URL)');
    expect(resolveEnv('env(DATABASE_URL', env)).toBe('env(DATABASE_URL');
  });

  it('resolveEnv - leaves plain values and undefined alone', () => {
    expect(resolveEnv('nats://localhost:4222', env)).toBe('nats://localhost:4222');
    expect(resolveEnv('', env)).toBe('');
    expect(resolveEnv(undefined, env)).toBeUndefined();
  });

  it('resolveEnv - reads the given environment, not process.env', () => {
    process.env['E2RX_ENV_SPEC_ONLY_IN_PROCESS'] = 'x';
    try {
      expect(resolveEnv('env(E2RX_ENV_SPEC_ONLY_IN_PROCESS)', {})).toBe('');
    } finally {
      delete process.env['E2RX_ENV_SPEC_ONLY_IN_PROCESS'];
    }
  });
});

describe('envReference', () => {
  it('envReference - gives the variable name of a whole env(NAME) value', () => {
    expect(envReference('env(REDIS_PW)')).toBe('REDIS_PW');
    expect(envReference('env()')).toBe('');
  });

  it('envReference - gives undefined for anything else', () => {
    expect(envReference('REDIS_PW')).toBeUndefined();
    expect(envReference('x env(REDIS_PW)')).toBeUndefined();
    expect(envReference('env(A)(B)')).toBeUndefined();
  });
});
