import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_RULES, type HttpRules } from '../../src/directive/capability-config.js';
import {
  HTTP_RULE_ERRORS,
  checkDomain,
  checkRequestTarget,
  checkUrlRules,
  matchesDomain,
  type DnsResolver,
  type ResolvedAddress,
} from '../../src/capabilities/http-rules.js';

const rules = (overrides: Partial<HttpRules>): HttpRules => ({ ...DEFAULT_HTTP_RULES, ...overrides });

/** A resolver from a fixed table; records every name it was asked for. */
function tableResolver(table: Record<string, string[]>, cnames: Record<string, string[]> = {}): DnsResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup(hostname) {
      asked.push(hostname);
      const addresses = table[hostname];
      if (addresses === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
      return Promise.resolve(addresses.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 })));
    },
    resolveCname: (hostname) => Promise.resolve(cnames[hostname] ?? []),
  };
}

const PUBLIC = tableResolver({
  'example.com': ['93.184.216.34'],
  'api.example.com': ['93.184.216.34'],
  'internal.example': ['10.0.0.5'],
  'mixed.example': ['93.184.216.34', '192.168.1.10'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'translated.example': ['2606:4700::1111', '::ffff:0:7f00:1'],
  'v6.example': ['2606:4700::1111'],
  'alias.example': ['93.184.216.34'],
});

const verdictOf = (url: string, r: HttpRules) => checkUrlRules(new URL(url), r);

describe('http-rules', () => {
  it('matchesDomain - compares labels right to left with * wildcards', () => {
    expect(matchesDomain('example.com', 'example.com')).toBe(true);
    expect(matchesDomain('example.com', 'EXAMPLE.com.')).toBe(true);
    expect(matchesDomain('example.com', 'api.example.com')).toBe(false);
    expect(matchesDomain('*.example.com', 'api.example.com')).toBe(true);
    expect(matchesDomain('*.example.com', 'a.b.example.com')).toBe(true);
    expect(matchesDomain('*.example.com', 'example.com')).toBe(false);
    expect(matchesDomain('*.example.com', 'example.org')).toBe(false);
    expect(matchesDomain('api.*.com', 'api.example.com')).toBe(true);
    expect(matchesDomain('api.*.com', 'api.a.b.com')).toBe(false);
    expect(matchesDomain('*', 'anything.at.all')).toBe(true);
    expect(matchesDomain('bücher.example', 'xn--bcher-kva.example')).toBe(true);
    expect(matchesDomain('', 'example.com')).toBe(false);
  });

  it('checkDomain - an allow-list takes precedence over the block-list', () => {
    const both = rules({ allowedDomains: ['*.example.com'], blockedDomains: ['api.example.com'] });
    expect(checkDomain('api.example.com', both)).toEqual({ allowed: true });
    expect(checkDomain('example.org', both)).toEqual({ allowed: false, reason: HTTP_RULE_ERRORS.domainDisallowed });
    const blockOnly = rules({ blockedDomains: ['*.evil.com'] });
    expect(checkDomain('www.evil.com', blockOnly).allowed).toBe(false);
    expect(checkDomain('good.com', blockOnly).allowed).toBe(true);
  });

  it('checkUrlRules - allowHTTP refuses http: URLs with the original text', () => {
    expect(verdictOf('http://example.com/', rules({ allowHTTP: false }))).toEqual({
      allowed: false,
      reason: 'requests to insecure HTTP endpoints is disallowed',
    });
    expect(verdictOf('https://example.com/', rules({ allowHTTP: false })).allowed).toBe(true);
  });

  it('checkUrlRules - ports: 80 and 443 implied or explicit, allowedPorts, blockedPorts', () => {
    const allowed8080 = rules({ allowedPorts: [8080] });
    expect(verdictOf('https://example.com/', allowed8080).allowed).toBe(true);
    expect(verdictOf('http://example.com/', allowed8080).allowed).toBe(true);
    expect(verdictOf('http://example.com:8080/', allowed8080).allowed).toBe(true);
    expect(verdictOf('http://example.com:9090/', allowed8080)).toEqual({ allowed: false, reason: 'requests to this port are disallowed' });
    const block443 = rules({ blockedPorts: [443] });
    expect(verdictOf('https://example.com/', block443).allowed).toBe(false);
    expect(verdictOf('http://example.com/', block443).allowed).toBe(true);
    expect(verdictOf('http://example.com:9090/', block443).allowed).toBe(false);
    // With neither list every port is allowed.
    expect(verdictOf('http://example.com:9090/', rules({})).allowed).toBe(true);
  });

  it('checkUrlRules - allowIPs refuses literal IPv4, IPv6 and the odd forms the URL parser normalises', () => {
    const noIps = rules({ allowIPs: false });
    for (const url of [
      'http://93.184.216.34/',
      'http://[2606:4700::1111]/',
      'http://[::1]:8080/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://127.1/',
      'http://0177.0.0.1/',
    ]) {
      expect(verdictOf(url, noIps), url).toEqual({ allowed: false, reason: 'requests to IP addresses are disallowed' });
    }
    expect(verdictOf('http://example.com/', noIps).allowed).toBe(true);
  });

  it('checkUrlRules - allowPrivate refuses localhost names and private literals (SSRF)', () => {
    const noPrivate = rules({ allowPrivate: false });
    for (const url of [
      'http://127.0.0.1/',
      'http://localhost:8080/',
      'http://LOCALHOST./',
      'http://api.localhost/',
      'http://[::1]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://0/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://10.1.2.3/',
      'http://[fd00::1]/',
      // IPv4-translated (::ffff:0:0:0/96) and the blocks of the IANA special-purpose registries a guest never needs.
      'http://[::ffff:0:7f00:1]/',
      'http://[::ffff:0:a9fe:a9fe]/latest/meta-data/',
      'http://[64:ff9b:1::a00:1]/',
      'http://[2001:db8::1]/',
      'http://[3fff::1]/',
      'http://[::7f00:1]/',
      'http://192.175.48.1/',
      'http://192.0.0.9/',
    ]) {
      expect(verdictOf(url, noPrivate), url).toEqual({
        allowed: false,
        reason: 'requests to private IP address ranges are disallowed',
      });
    }
    expect(verdictOf('http://93.184.216.34/', noPrivate).allowed).toBe(true);
    expect(verdictOf('http://127.0.0.1/', rules({})).allowed).toBe(true);
  });

  // Every way a request URL can spell a non-public address, as the WHATWG URL parser reads it (the guest's URL goes
  // through `new URL`): the host the guard sees is already normalised, and each must still be refused.
  it.each([
    // IPv4 in decimal, octal, hexadecimal, short and mixed forms; full-width digits; a trailing dot.
    ['http://2130706433/', 'loopback as one decimal number'],
    ['http://017700000001/', 'loopback as one octal number'],
    ['http://0x7f000001/', 'loopback as one hexadecimal number'],
    ['http://0177.0.0.1/', 'loopback with an octal first part'],
    ['http://0x7f.0.0.1/', 'loopback with a hexadecimal first part'],
    ['http://127.1/', 'loopback in two parts'],
    ['http://127.0.1/', 'loopback in three parts'],
    ['http://0xa9.0xfe.0xa9.0xfe/', 'the metadata address in hexadecimal parts'],
    ['http://\uff11\uff12\uff17.0.0.1/', 'loopback in full-width digits'],
    ['http://169.254.169.254./', 'the metadata address with a trailing dot'],
    ['http://127.0.0.1%2e/', 'loopback with a percent-encoded trailing dot'],
    // Unspecified, CGNAT, multicast.
    ['http://0.0.0.0/', 'the unspecified IPv4 address'],
    ['http://[::]/', 'the unspecified IPv6 address'],
    ['http://100.64.0.1/', 'shared address space (CGNAT)'],
    ['http://100.100.100.200/', 'shared address space (a cloud metadata address)'],
    ['http://224.0.0.1/', 'IPv4 multicast'],
    ['http://[ff02::1]/', 'IPv6 multicast'],
    // Link-local and site-local IPv6.
    ['http://[fe80::1]/', 'IPv6 link-local'],
    ['http://[fec0::1]/', 'deprecated IPv6 site-local'],
    // IPv6 forms that embed an IPv4 address: mapped (every spelling), compatible, NAT64, 6to4, Teredo.
    ['http://[::ffff:7f00:1]/', 'IPv4-mapped loopback in hexadecimal'],
    ['http://[::FFFF:127.0.0.1]/', 'IPv4-mapped loopback in capitals'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'IPv4-mapped loopback uncompressed'],
    ['http://[::127.0.0.1]/', 'IPv4-compatible loopback'],
    ['http://[64:ff9b::127.0.0.1]/', 'NAT64 of loopback, dotted'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'NAT64 of the metadata address'],
    ['http://[2002:7f00:1::]/', '6to4 of loopback'],
    ['http://[2002:a9fe:a9fe::1]/', '6to4 of the metadata address'],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'Teredo'],
  ])('checkUrlRules - allowPrivate refuses %s (%s)', (url) => {
    expect(verdictOf(url, rules({ allowPrivate: false }))).toEqual({ allowed: false, reason: HTTP_RULE_ERRORS.privateDisallowed });
  });

  it('checkUrlRules - allowPrivate lets through IPv6 forms that embed a public IPv4 address', () => {
    for (const url of ['http://[::ffff:8.8.8.8]/', 'http://[64:ff9b::808:808]/', 'http://[2002:808:808::1]/']) {
      expect(verdictOf(url, rules({ allowPrivate: false })), url).toEqual({ allowed: true });
    }
  });

  it('checkUrlRules - an IPv6 zone id cannot reach the guard: the URL parser refuses it', () => {
    for (const url of ['http://[fe80::1%25eth0]/', 'http://[fe80::1%eth0]/']) expect(() => new URL(url), url).toThrow(TypeError);
  });

  it('checkRequestTarget - a name resolving to a scoped link-local address (fe80::1%eth0) is refused', async () => {
    const verdict = await checkRequestTarget(new URL('https://scoped.example/'), rules({ allowPrivate: false }), tableResolver({ 'scoped.example': ['fe80::1%eth0'] }));
    expect(verdict).toEqual({ allowed: false, reason: HTTP_RULE_ERRORS.privateDisallowed });
  });

  it('checkUrlRules - checks in the original order: http, port, IP, private, domain', () => {
    const everything = rules({ allowHTTP: false, allowIPs: false, allowPrivate: false, allowedPorts: [8443], allowedDomains: ['x.com'] });
    expect(verdictOf('http://127.0.0.1:1/', everything)).toMatchObject({ reason: HTTP_RULE_ERRORS.insecureHttp });
    expect(verdictOf('https://127.0.0.1:1/', everything)).toMatchObject({ reason: HTTP_RULE_ERRORS.portDisallowed });
    expect(verdictOf('https://127.0.0.1/', everything)).toMatchObject({ reason: HTTP_RULE_ERRORS.ipDisallowed });
    expect(verdictOf('https://localhost/', everything)).toMatchObject({ reason: HTTP_RULE_ERRORS.privateDisallowed });
    expect(verdictOf('https://y.com/', everything)).toMatchObject({ reason: HTTP_RULE_ERRORS.domainDisallowed });
  });

  it('checkRequestTarget - a name resolving to a private address is refused (injected resolver)', async () => {
    const verdict = await checkRequestTarget(new URL('https://internal.example/'), rules({ allowPrivate: false }), PUBLIC);
    expect(verdict).toEqual({ allowed: false, reason: 'requests to private IP address ranges are disallowed' });
  });

  it('checkRequestTarget - one private address among several refuses the name', async () => {
    const verdict = await checkRequestTarget(new URL('https://mixed.example/'), rules({ allowPrivate: false }), PUBLIC);
    expect(verdict.allowed).toBe(false);
  });

  it('checkRequestTarget - a name resolving to an IPv4-translated loopback (::ffff:0:7f00:1) is refused', async () => {
    const verdict = await checkRequestTarget(new URL('https://translated.example/'), rules({ allowPrivate: false }), PUBLIC);
    expect(verdict).toEqual({ allowed: false, reason: 'requests to private IP address ranges are disallowed' });
  });

  it('checkRequestTarget - a name resolving to an IPv4-mapped IPv6 loopback is refused', async () => {
    const verdict = await checkRequestTarget(new URL('https://mapped.example/'), rules({ allowPrivate: false }), PUBLIC);
    expect(verdict).toMatchObject({ allowed: false, reason: HTTP_RULE_ERRORS.privateDisallowed });
  });

  it('checkRequestTarget - returns the checked addresses to pin the connection to', async () => {
    const verdict = await checkRequestTarget(new URL('https://example.com:8443/x'), rules({ allowPrivate: false }), PUBLIC);
    expect(verdict).toEqual({
      allowed: true,
      hostname: 'example.com',
      port: 8443,
      addresses: [{ address: '93.184.216.34', family: 4 }],
    });
    const v6 = await checkRequestTarget(new URL('http://v6.example/'), rules({ allowPrivate: false }), PUBLIC);
    expect(v6).toMatchObject({ allowed: true, port: 80, addresses: [{ address: '2606:4700::1111', family: 6 }] });
  });

  it('checkRequestTarget - private names are allowed by default', async () => {
    const verdict = await checkRequestTarget(new URL('http://internal.example/'), rules({}), PUBLIC);
    expect(verdict).toMatchObject({ allowed: true, addresses: [{ address: '10.0.0.5', family: 4 }] });
  });

  it('checkRequestTarget - IP literals are not resolved', async () => {
    const resolver = tableResolver({});
    const verdict = await checkRequestTarget(new URL('http://[::1]:9000/'), rules({}), resolver);
    expect(verdict).toEqual({ allowed: true, hostname: '::1', port: 9000, addresses: [] });
    expect(resolver.asked).toEqual([]);
  });

  it('checkRequestTarget - a name that does not resolve is refused with the lookup error', async () => {
    const verdict = await checkRequestTarget(new URL('https://nowhere.invalid/'), rules({}), PUBLIC);
    expect(verdict).toEqual({ allowed: false, reason: 'lookup nowhere.invalid: no such host' });
  });

  it('checkRequestTarget - a CNAME pointing at a blocked domain is refused', async () => {
    const resolver = tableResolver({ 'alias.example': ['93.184.216.34'] }, { 'alias.example': ['target.blocked.com'] });
    const verdict = await checkRequestTarget(new URL('https://alias.example/'), rules({ blockedDomains: ['*.blocked.com'] }), resolver);
    expect(verdict).toEqual({ allowed: false, reason: HTTP_RULE_ERRORS.domainDisallowed });
  });

  it('checkRequestTarget - the pure rules are checked before any lookup', async () => {
    const resolver = tableResolver({ 'example.com': ['93.184.216.34'] });
    const verdict = await checkRequestTarget(new URL('http://example.com/'), rules({ allowHTTP: false }), resolver);
    expect(verdict).toMatchObject({ reason: HTTP_RULE_ERRORS.insecureHttp });
    expect(resolver.asked).toEqual([]);
  });
});
