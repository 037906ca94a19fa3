import { describe, expect, it } from 'vitest';
import { goEscape, goUnescape, shouldEscape, validEncoded } from '../../src/directive/go-escape.js';

describe('go-escape', () => {
  it('goUnescape - decodes escapes to bytes; + is a space only in a query', () => {
    expect(goUnescape('a%20b+c', 'path')).toEqual({ value: 'a b+c' });
    expect(goUnescape('a%20b+c', 'query')).toEqual({ value: 'a b c' });
    expect(goUnescape('%C3', 'path')).toEqual({ value: '\u00c3' });
  });

  it('goUnescape - refuses a bad escape, and in a host an escape below 0x80 or a character a host cannot hold', () => {
    expect(goUnescape('a%zz', 'path')).toEqual({ error: 'invalid URL escape "%zz"' });
    expect(goUnescape('a%2', 'fragment')).toEqual({ error: 'invalid URL escape "%2"' });
    expect(goUnescape('h%41st', 'host')).toEqual({ error: 'invalid URL escape "%41"' });
    expect(goUnescape('h{st', 'host')).toEqual({ error: 'invalid character "{" in host name' });
    expect(goUnescape('h%C3%A9', 'host')).toEqual({ value: 'h\u00c3\u00a9' });
  });

  it('goEscape - escapes as Go 1.18 does per part of the URL', () => {
    expect(goEscape('a b?/\u00c3', 'path')).toBe('a%20b%3F/%C3');
    expect(goEscape('u@s:r', 'userinfo')).toBe('u%40s%3Ar');
    expect(goEscape('[::1]:80', 'host')).toBe('[::1]:80');
    expect(shouldEscape(0x2f, 'query')).toBe(true);
    expect(shouldEscape(0x2f, 'fragment')).toBe(false);
  });

  it('validEncoded - sub-delims and escapes are valid as written; a space or a byte from 0x80 is not', () => {
    expect(validEncoded("/a;b=c!$'%41", 'path')).toBe(true);
    expect(validEncoded('/a b', 'path')).toBe(false);
    expect(validEncoded('/\u00c3', 'path')).toBe(false);
  });
});
