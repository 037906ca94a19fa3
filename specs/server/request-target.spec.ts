import { describe, expect, it } from 'vitest';
import { cleanPath, escapePath, isPlainTarget, readTarget, routablePath } from '../../src/server/request-target.js';

describe('isPlainTarget', () => {
  it('isPlainTarget - an origin-form path without % or # goes to the router as it is; anything else is read first', () => {
    expect(isPlainTarget('/users/7?full=1')).toBe(true);
    expect(isPlainTarget('/users/a%2Fb')).toBe(false);
    expect(isPlainTarget('/users/7?q=a%20b')).toBe(false);
    expect(isPlainTarget('/users/a#b')).toBe(false);
    expect(isPlainTarget('http://host/users/7')).toBe(false);
    expect(isPlainTarget('*')).toBe(false);
  });
});

describe('readTarget', () => {
  it('readTarget - decodes every escape of the path (as Go), keeps the query raw, and escapes %, ? and # again for the router', () => {
    expect(readTarget('/tinygo/req/a%2Fb?x=%20')).toEqual({ path: '/tinygo/req/a/b', routable: '/tinygo/req/a/b', query: '?x=%20' });
    expect(readTarget('/f/a%25b%3Fc%23d#e')).toEqual({ path: '/f/a%b?c#d#e', routable: '/f/a%25b%3Fc%23d%23e', query: '' });
    expect(readTarget('/f/caf%C3%A9')).toEqual({ path: '/f/café', routable: '/f/café', query: '' });
    expect(readTarget('/f/x?')).toEqual({ path: '/f/x', routable: '/f/x', query: '?' });
  });

  it('readTarget - bytes that are not UTF-8 read as U+FFFD', () => {
    expect(readTarget('/f/a%FFb')).toMatchObject({ path: '/f/a\uFFFDb' });
    expect(readTarget('/f/%C3')).toMatchObject({ path: '/f/\uFFFD' });
  });

  it("readTarget - an invalid escape in the path is Go's error; one in the query is not looked at", () => {
    expect(readTarget('/f/%zz')).toEqual({ invalid: 'invalid URL escape "%zz"' });
    expect(readTarget('/f/a%2')).toEqual({ invalid: 'invalid URL escape "%2"' });
    expect(readTarget('/f/a%')).toEqual({ invalid: 'invalid URL escape "%"' });
    expect(readTarget('/f/a?%zz')).toMatchObject({ path: '/f/a', query: '?%zz' });
  });

  it('readTarget - absolute form is read for its path; * is the server', () => {
    expect(readTarget('http://example.com:8080/f/a%41?q')).toEqual({ path: '/f/aA', routable: '/f/aA', query: '?q' });
    expect(readTarget('http://example.com')).toMatchObject({ path: '/' });
    expect(readTarget('*')).toEqual({ path: '*', routable: '*', query: '' });
    expect(readTarget('nonsense')).toEqual({ invalid: 'invalid URI for request' });
  });
});

describe('routablePath', () => {
  it('routablePath - escapes only what find-my-way would read', () => {
    expect(routablePath('/files/100%')).toBe('/files/100%25');
    expect(routablePath('/a?b#c')).toBe('/a%3Fb%23c');
    expect(routablePath('/plain/é')).toBe('/plain/é');
  });
});

describe('escapePath', () => {
  it("escapePath - escapes as Go's URL.EscapedPath: all but unreserved and $&+,/:;=@, upper-case hex", () => {
    expect(escapePath('/tinygo/req/abc')).toBe('/tinygo/req/abc');
    expect(escapePath("/a b\"c!*()'é?#%")).toBe('/a%20b%22c%21%2A%28%29%27%C3%A9%3F%23%25');
    expect(escapePath('/$&+,:;=@-_.~')).toBe('/$&+,:;=@-_.~');
    expect(escapePath('/\u0001')).toBe('/%01');
  });
});

describe('cleanPath', () => {
  it("cleanPath - as httprouter's CleanPath: rooted, one slash, . and .. resolved, a trailing slash kept", () => {
    expect(cleanPath('')).toBe('/');
    expect(cleanPath('//x/../tinygo/./req/')).toBe('/tinygo/req/');
    expect(cleanPath('/../a')).toBe('/a');
    expect(cleanPath('/a/b/..')).toBe('/a');
    expect(cleanPath('/a/.')).toBe('/a');
    expect(cleanPath('/')).toBe('/');
    expect(cleanPath('//')).toBe('/');
  });
});
