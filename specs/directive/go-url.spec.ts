import { describe, expect, it } from 'vitest';
import { goQueryValue, goRequestUri, goUrlParseError, goUrlString, parseGoUrl } from '../../src/directive/go-url.js';

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

describe('parseGoUrl', () => {
  const uri = (raw: string): string => {
    const parsed = parseGoUrl(raw);
    if (parsed.url === undefined) throw new Error(parsed.error);
    return goRequestUri(parsed.url);
  };

  it.each([
    ['http://x/echo/../echo/dots', '/echo/../echo/dots'],
    ['http://x/a/./b/../c', '/a/./b/../c'],
    ['http://x/a b?q=c d', '/a%20b?q=c d'],
    ['http://x/x ', '/x%20'],
    ['http://x/a%2fb%41', '/a%2fb%41'],
    ["http://x/it's(1)*!", "/it's(1)*!"],
    ['http://x/q?a="<>`{}|^', '/q?a="<>`{}|^'],
    ['http://x/p?', '/p?'],
    ['http://x', '/'],
    ['http://x?y=1', '/?y=1'],
    ['http://x/a\\b', '/a%5Cb'],
    ['http://x/frag#a%20b', '/frag'],
  ])('goRequestUri - %j is sent as %j, as Go sends it', (raw, expected) => {
    expect(uri(raw)).toBe(expected);
  });

  it('goRequestUri - re-escapes a path with bytes from 0x80 and keeps the query raw (a byte string)', () => {
    expect(uri('http://x/é?q=é')).toBe('/%C3%A9?q=\u00c3\u00a9');
  });

  it('goUrlString - reassembles as Go, with the password hidden when asked', () => {
    const url = parseGoUrl('HTTP://us%41:p%40ss@Host:80/a b?q=1#f g').url;
    expect(url).toMatchObject({ scheme: 'http', host: 'Host:80', user: { username: 'usA', password: 'p@ss' }, rawQuery: 'q=1' });
    expect(goUrlString(url!)).toBe('http://usA:p%40ss@Host:80/a%20b?q=1#f%20g');
    expect(goUrlString(url!, true)).toBe('http://usA:***@Host:80/a%20b?q=1#f%20g');
    expect(goUrlString(parseGoUrl('http://us%40er:pw@h/').url!, true)).toBe('http://us@er:***@h/');
    expect(goUrlString(parseGoUrl('http://us%40er@h/').url!, true)).toBe('http://us%40er@h/');
    expect(goUrlString(parseGoUrl('/relative').url!)).toBe('/relative');
    expect(goUrlString(parseGoUrl('').url!)).toBe('');
    expect(goUrlString(parseGoUrl('?').url!)).toBe('?');
    expect(goUrlString(parseGoUrl('mailto:a@b?x').url!)).toBe('mailto:a@b?x');
  });

  it('parseGoUrl - reports the failures a fetch_url URL met in Atmo', () => {
    expect(parseGoUrl(' http://x/').error).toBe('parse " http://x/": first path segment in URL cannot contain colon');
    expect(parseGoUrl('http://127.0.0.1:1\\x/y').error).toBe('parse "http://127.0.0.1:1\\\\x/y": invalid port ":1\\\\x" after host');
    expect(parseGoUrl('http://x/a\tb').error).toBe('parse "http://x/a\\tb": net/url: invalid control character in URL');
    expect(parseGoUrl('http://x/%zz').error).toBe('parse "http://x/%zz": invalid URL escape "%zz"');
    expect(parseGoUrl('http://x/%é').error).toBe('parse "http://x/%é": invalid URL escape "%é"');
    expect(parseGoUrl('http://x/%日').error).toBe('parse "http://x/%日": invalid URL escape "%\\xe6\\x97"');
  });
});

describe('goQueryValue', () => {
  it.each([
    ['a=1;b', 'a', undefined],
    ['a;b&a=2', 'a', '2'],
    ['a=%zz&a=ok', 'a', 'ok'],
    ['a=%&a=%4&a=z', 'a', 'z'],
    ['a=1&a=2', 'a', '1'],
    ['a=x+y%20z', 'a', 'x y z'],
    ['%61=enc', 'a', 'enc'],
    ['a', 'a', ''],
    ['', 'a', undefined],
    ['a=%C3', 'a', '\u00c3'],
  ])('goQueryValue - in %j, %j is %j', (query, key, expected) => {
    expect(goQueryValue(query, key)).toBe(expected);
  });
});
