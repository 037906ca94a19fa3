import { describe, expect, it } from 'vitest';
import { goUrlParseError } from '../../src/directive/go-url.js';

describe('goUrlParseError', () => {
  it.each([
    'nats://localhost:4222',
    'localhost:6379',
    'localhost:9092',
    'broker-1:9092,broker-2:9092',
    'redis://user:pa%20ss@cache.internal:6379/0',
    'tls://[::1]:4222',
    'http://[fe80::1%25en0]:8080/',
    'nats://localhost',
    'nats://localhost:',
    '/var/run/nats.sock',
    'relative/path',
    'http://host/?q=%zz',
    'http://host/path?',
    '*',
    '',
  ])('goUrlParseError - %j parses, as in Go', (value) => {
    expect(goUrlParseError(value)).toBeUndefined();
  });

  it('goUrlParseError - refuses control characters first', () => {
    expect(goUrlParseError('nats://local\nhost:4222')).toBe('parse "nats://local\\nhost:4222": net/url: invalid control character in URL');
    expect(goUrlParseError('nats://host\u0001')).toBe('parse "nats://host\\x01": net/url: invalid control character in URL');
    expect(goUrlParseError('nats://host\u007f')).toBe('parse "nats://host\\x7f": net/url: invalid control character in URL');
  });

  it('goUrlParseError - refuses a leading colon as a missing scheme', () => {
    expect(goUrlParseError(':4222')).toBe('parse ":4222": missing protocol scheme');
  });

  it('goUrlParseError - refuses a colon in the first path segment when no scheme can be read', () => {
    expect(goUrlParseError(' localhost:9092')).toBe('parse " localhost:9092": first path segment in URL cannot contain colon');
    expect(goUrlParseError('1.2.3.4:9092')).toBe('parse "1.2.3.4:9092": first path segment in URL cannot contain colon');
    expect(goUrlParseError('kafka_1:9092')).toBe('parse "kafka_1:9092": first path segment in URL cannot contain colon');
  });

  it('goUrlParseError - checks the colon before any escape, as Go does', () => {
    expect(goUrlParseError('kafka-%zz:9092')).toBe('parse "kafka-%zz:9092": first path segment in URL cannot contain colon');
  });

  it('goUrlParseError - refuses a bad port after the host', () => {
    expect(goUrlParseError('nats://localhost:42x2')).toBe('parse "nats://localhost:42x2": invalid port ":42x2" after host');
    expect(goUrlParseError('redis://[::1]:63a9')).toBe('parse "redis://[::1]:63a9": invalid port ":63a9" after host');
  });

  it("goUrlParseError - refuses an IPv6 host without its closing ']'", () => {
    expect(goUrlParseError('nats://[::1:4222')).toBe('parse "nats://[::1:4222": missing \']\' in host');
  });

  it('goUrlParseError - refuses characters a host cannot hold', () => {
    expect(goUrlParseError('nats://local host:4222')).toBe('parse "nats://local host:4222": invalid character " " in host name');
    expect(goUrlParseError('nats://a^b')).toBe('parse "nats://a^b": invalid character "^" in host name');
  });

  it('goUrlParseError - refuses bad escapes in the host, userinfo and path, but not in the query', () => {
    expect(goUrlParseError('nats://host%zz:4222')).toBe('parse "nats://host%zz:4222": invalid URL escape "%zz"');
    expect(goUrlParseError('nats://host%41')).toBe('parse "nats://host%41": invalid URL escape "%41"');
    expect(goUrlParseError('redis://us%zzer@host:6379')).toBe('parse "redis://us%zzer@host:6379": invalid URL escape "%zz"');
    expect(goUrlParseError('http://host/a%2')).toBe('parse "http://host/a%2": invalid URL escape "%2"');
    expect(goUrlParseError('http://host/a%')).toBe('parse "http://host/a%": invalid URL escape "%"');
    expect(goUrlParseError('http://host/?a=%')).toBeUndefined();
  });

  it('goUrlParseError - refuses bad userinfo characters', () => {
    expect(goUrlParseError('redis://us^er@host:6379')).toBe('parse "redis://us^er@host:6379": net/url: invalid userinfo');
  });

  it('goUrlParseError - does not check the rest of an opaque URL (scheme and no slash)', () => {
    expect(goUrlParseError('localhost:6379%zz')).toBeUndefined();
    expect(goUrlParseError('mailto:a b')).toBeUndefined();
  });

  it('goUrlParseError - quotes the URL without its fragment, except for a bad fragment', () => {
    expect(goUrlParseError('nats://host:x#frag')).toBe('parse "nats://host:x": invalid port ":x" after host');
    expect(goUrlParseError('nats://host#a%zz')).toBe('parse "nats://host#a%zz": invalid URL escape "%zz"');
    expect(goUrlParseError('nats://host#ok')).toBeUndefined();
  });
});
