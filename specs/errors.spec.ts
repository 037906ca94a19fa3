import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { E2rxError, ERROR_CODES, errorMessage } from '../src/errors.js';

/** The codes of the table in docs/reference/errors.md: rows `| \`E2RX_…\` | meaning | how to fix |`. */
function documentedCodes(): string[] {
  const text = readFileSync(new URL('../docs/reference/errors.md', import.meta.url), 'utf8');
  const codes: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\|\s*`([A-Z0-9_]+)`\s*\|/.exec(line);
    if (match?.[1]) codes.push(match[1]);
  }
  return codes;
}

describe('ERROR_CODES and docs/reference/errors.md', () => {
  const documented = documentedCodes();
  const codes = Object.keys(ERROR_CODES);

  it('errors - the doc has a table of codes', () => {
    expect(documented.length).toBeGreaterThan(0);
  });

  it.each(codes)('errors - %s is documented in docs/reference/errors.md', (code) => {
    expect(documented).toContain(code);
  });

  it('errors - every documented code exists in ERROR_CODES', () => {
    expect(documented.filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });

  it('errors - every code is documented once', () => {
    expect(documented.filter((code, index) => documented.indexOf(code) !== index)).toEqual([]);
  });

  it('errors - every code starts with E2RX_ and has a message and a hint', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^E2RX_[A-Z_]+$/);
      expect(entry.message.length, code).toBeGreaterThan(0);
      expect(entry.hint.length, code).toBeGreaterThan(0);
    }
  });
});

describe('E2rxError', () => {
  it('E2rxError - takes the message and hint of its code by default', () => {
    const error = new E2rxError('E2RX_APP_NOT_FOUND');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('E2rxError');
    expect(error.code).toBe('E2RX_APP_NOT_FOUND');
    expect(error.message).toBe(ERROR_CODES.E2RX_APP_NOT_FOUND.message);
    expect(error.hint).toBe(ERROR_CODES.E2RX_APP_NOT_FOUND.hint);
    expect(error.retriable).toBe(false);
    expect(error.details).toEqual({});
    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
  });

  it('E2rxError - keeps the native cause, retriable, details and a specific hint', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new E2rxError('E2RX_CONNECTION', 'nats is down', { cause, retriable: true, details: { connection: 'nats' }, hint: 'start NATS' });
    expect(error.message).toBe('nats is down');
    expect(error.cause).toBe(cause);
    expect(error.retriable).toBe(true);
    expect(error.details).toEqual({ connection: 'nats' });
    expect(error.hint).toBe('start NATS');
  });

  it('E2rxError - keeps a cause that is not an Error', () => {
    expect(new E2rxError('E2RX_INTERNAL', 'x', { cause: 'text' }).cause).toBe('text');
  });

  it('E2rxError - is() checks the class and, optionally, the code', () => {
    const error = new E2rxError('E2RX_WASM_TRAP');
    expect(E2rxError.is(error)).toBe(true);
    expect(E2rxError.is(error, 'E2RX_WASM_TRAP')).toBe(true);
    expect(E2rxError.is(error, 'E2RX_WASM_TIMEOUT')).toBe(false);
    expect(E2rxError.is(new Error('x'))).toBe(false);
    expect(E2rxError.is({ code: 'E2RX_WASM_TRAP' }, 'E2RX_WASM_TRAP')).toBe(false);
  });
});

describe('errorMessage', () => {
  it('errorMessage - reads errors, strings and other values', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('text')).toBe('text');
    expect(errorMessage({ a: 1 })).toBe('{"a":1}');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
