/**
 * The rules that govern outbound HTTP and GraphQL requests (the Directive's `capabilities.http.rules`, Atmo's `HTTPRules`; docs/reference/capabilities.md#http-rules), as pure checks plus one
 * DNS-aware check that returns the addresses a request may connect to.
 *
 * Order of the checks, as in the original (E2 Core `http_rulefilter.go`): `allowHTTP`, ports, `allowIPs`,
 * `allowPrivate`, domains. Differences from the original, all on the safe side:
 * - the URL is read by the WHATWG URL parser, so odd IPv4 forms (`2130706433`, `0x7f.1`, `127.1`) are IP literals;
 * - every address a name resolves to is checked, and the request then connects to one of those checked addresses
 *   (see {@link checkRequestTarget}), so a name that re-resolves differently (DNS rebinding) cannot switch;
 * - the private ranges are wider: every special-purpose block of the IANA registries, multicast, IPv4-translated and
 *   non-global IPv6, judged by ipaddr.js (see {@link isNonGlobalAddress});
 * - a name that does not resolve is refused with the lookup error instead of being let through.
 *
 * @module
 */

import { lookup as dnsLookup, resolveCname as dnsResolveCname } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import type { HttpRules } from '../directive/capability-config.js';
import { isNonGlobalAddress, parseIp } from './ip-address.js';

/** The error texts of the original, returned to the guest verbatim. */
export const HTTP_RULE_ERRORS = {
  capabilityDisabled: 'capability is not enabled',
  insecureHttp: 'requests to insecure HTTP endpoints is disallowed',
  ipDisallowed: 'requests to IP addresses are disallowed',
  privateDisallowed: 'requests to private IP address ranges are disallowed',
  domainDisallowed: 'requests to this domain are disallowed',
  portDisallowed: 'requests to this port are disallowed',
} as const;

/** One resolved address of a host name. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Name resolution used by the rules, injectable so that specs can make a name resolve to a private address.
 *
 * @example
 * ```ts
 * const resolver: DnsResolver = {
 *   lookup: async (name) => (name === 'internal.example' ? [{ address: '10.0.0.5', family: 4 }] : []),
 * };
 * ```
 */
export interface DnsResolver {
  /** Every address of `hostname` (A and AAAA). Rejects when the name does not resolve. */
  lookup(hostname: string): Promise<readonly ResolvedAddress[]>;
  /** The CNAME targets of `hostname`, or an empty list (used for `blockedDomains`). Optional. */
  resolveCname?(hostname: string): Promise<readonly string[]>;
}

/**
 * The system resolver: `getaddrinfo` through `dns.lookup` (so `/etc/hosts` applies) for addresses, and a DNS query
 * for CNAME records.
 */
export const SYSTEM_DNS_RESOLVER: DnsResolver = {
  async lookup(hostname) {
    const found = await dnsLookup(hostname, { all: true, verbatim: true });
    return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
  },
  async resolveCname(hostname) {
    try {
      return await dnsResolveCname(hostname);
    } catch {
      return []; // no CNAME record (or no DNS server): only the name itself is checked
    }
  },
};

/** The outcome of a rule check: allowed, or refused with the original's error text. */
export type RuleVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** A request target that passed every rule, with the addresses it may connect to. */
export interface CheckedTarget {
  readonly allowed: true;
  /** The host name without brackets, lower-case, punycode (`example.com`, `::1`). */
  readonly hostname: string;
  /** The port, explicit or implied by the scheme. */
  readonly port: number;
  /** The addresses to connect to; every one was checked. Empty when the host is an IP literal. */
  readonly addresses: readonly ResolvedAddress[];
}

/** The outcome of {@link checkRequestTarget}. */
export type TargetVerdict = CheckedTarget | { readonly allowed: false; readonly reason: string };

const ALLOWED: RuleVerdict = { allowed: true };
const refuse = (reason: string): RuleVerdict => ({ allowed: false, reason });

/**
 * The host of a URL without the brackets of an IPv6 literal and without a trailing dot.
 *
 * @example
 * ```ts
 * bareHostname(new URL('http://[::1]:8080/')); // '::1'
 * ```
 */
export function bareHostname(url: URL): string {
  let host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.') && host.length > 1) host = host.slice(0, -1);
  return host;
}

/**
 * The port of a URL: explicit, or 443 for `https:` and 80 otherwise.
 *
 * @example
 * ```ts
 * effectivePort(new URL('https://example.com/')); // 443
 * ```
 */
export function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** `allowHTTP`: refuses `http:` URLs when false. */
export function checkScheme(url: URL, rules: HttpRules): RuleVerdict {
  return !rules.allowHTTP && url.protocol === 'http:' ? refuse(HTTP_RULE_ERRORS.insecureHttp) : ALLOWED;
}

/**
 * Ports: when `allowedPorts` or `blockedPorts` is set (non-empty), the port (explicit, or 80/443 implied) must not be
 * blocked and must be 80, 443 or an allowed port. With neither set every port is allowed.
 */
export function checkPort(url: URL, rules: HttpRules): RuleVerdict {
  const allowed = rules.allowedPorts ?? [];
  const blocked = rules.blockedPorts ?? [];
  if (allowed.length + blocked.length === 0) return ALLOWED;
  const port = effectivePort(url);
  if (blocked.includes(port)) return refuse(HTTP_RULE_ERRORS.portDisallowed);
  if (port === 80 || port === 443 || allowed.includes(port)) return ALLOWED;
  return refuse(HTTP_RULE_ERRORS.portDisallowed);
}

/** `allowIPs`: refuses hosts that are IP literals (IPv4, IPv6, and forms the URL parser normalises to them). */
export function checkIpLiteral(url: URL, rules: HttpRules): RuleVerdict {
  return !rules.allowIPs && parseIp(bareHostname(url)) !== undefined ? refuse(HTTP_RULE_ERRORS.ipDisallowed) : ALLOWED;
}

/**
 * The part of `allowPrivate` that needs no DNS: hosts containing `localhost`, and IP literals in non-global ranges.
 */
export function checkPrivateLiteral(url: URL, rules: HttpRules): RuleVerdict {
  if (rules.allowPrivate) return ALLOWED;
  const host = bareHostname(url);
  if (host.includes('localhost')) return refuse(HTTP_RULE_ERRORS.privateDisallowed);
  if (parseIp(host) !== undefined && isNonGlobalAddress(host)) return refuse(HTTP_RULE_ERRORS.privateDisallowed);
  return ALLOWED;
}

/** Lower-case, punycode, no trailing dot: the form domain patterns and hosts are compared in. */
function normaliseDomain(domain: string): string {
  let result = domain.trim().toLowerCase();
  if (result.endsWith('.') && result.length > 1) result = result.slice(0, -1);
  const labels = result.split('.').map((label) => (label === '*' ? label : domainToASCII(label) || label));
  return labels.join('.');
}

/**
 * Whether `host` matches a domain pattern. Labels are compared right to left, case-insensitively; a `*` label matches
 * any one label, and a leading `*` matches one or more labels (as in the original, `*.example.com` matches
 * `a.example.com` and `a.b.example.com` but not `example.com`). A pattern without `*` matches only that exact host.
 *
 * @example
 * ```ts
 * matchesDomain('*.example.com', 'api.example.com'); // true
 * matchesDomain('*.example.com', 'example.com'); // false
 * matchesDomain('api.*.com', 'api.example.com'); // true
 * ```
 */
export function matchesDomain(pattern: string, host: string): boolean {
  const p = normaliseDomain(pattern);
  const h = normaliseDomain(host);
  if (p === '' || h === '') return p === h;
  if (p === h) return true;
  const patternLabels = p.split('.');
  const hostLabels = h.split('.');
  if (patternLabels.length > hostLabels.length) return false;
  const leadingWildcard = patternLabels[0] === '*';
  if (patternLabels.length < hostLabels.length && !leadingWildcard) return false;
  for (let offset = 1; offset <= patternLabels.length; offset += 1) {
    const patternLabel = patternLabels[patternLabels.length - offset];
    const hostLabel = hostLabels[hostLabels.length - offset];
    if (patternLabel !== '*' && patternLabel !== hostLabel) return false;
  }
  return true;
}

/**
 * Domain rules for one host name: with a non-empty `allowedDomains` the host must match one of its patterns
 * (the allow-list takes precedence); otherwise it must match none of `blockedDomains`.
 */
export function checkDomain(host: string, rules: HttpRules): RuleVerdict {
  if (rules.allowedDomains.length > 0) {
    return rules.allowedDomains.some((pattern) => matchesDomain(pattern, host))
      ? ALLOWED
      : refuse(HTTP_RULE_ERRORS.domainDisallowed);
  }
  if (rules.blockedDomains.some((pattern) => matchesDomain(pattern, host))) {
    return refuse(HTTP_RULE_ERRORS.domainDisallowed);
  }
  return ALLOWED;
}

/**
 * Every rule that needs no DNS, in the original's order: scheme, port, IP literal, private literal (incl. `localhost`),
 * domain. A URL that passes may still be refused by {@link checkRequestTarget} once its name is resolved.
 *
 * @example
 * ```ts
 * checkUrlRules(new URL('http://2130706433/'), { ...DEFAULT_HTTP_RULES, allowIPs: false });
 * // { allowed: false, reason: 'requests to IP addresses are disallowed' }
 * ```
 */
export function checkUrlRules(url: URL, rules: HttpRules): RuleVerdict {
  for (const check of [checkScheme, checkPort, checkIpLiteral, checkPrivateLiteral]) {
    const verdict = check(url, rules);
    if (!verdict.allowed) return verdict;
  }
  return checkDomain(bareHostname(url), rules);
}

/** The message of a failed lookup, in the style of Go's resolver errors. */
function lookupFailure(hostname: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return code === 'ENOTFOUND' ? `lookup ${hostname}: no such host` : `lookup ${hostname}: ${detail}`;
}

/**
 * Checks a request target against every rule and resolves the addresses to connect to.
 *
 * A host name is resolved once, all its addresses are checked when `allowPrivate` is false (one non-global address
 * refuses the request), and the caller must connect only to the returned `addresses` (pin them through the socket's
 * `lookup`), never resolve the name again. With a non-empty `blockedDomains` (and no allow-list) the CNAME targets of
 * the host are checked against the block-list too. IP-literal hosts are not resolved.
 *
 * @example
 * ```ts
 * const verdict = await checkRequestTarget(new URL('https://internal.example/'), { ...DEFAULT_HTTP_RULES, allowPrivate: false }, {
 *   lookup: async () => [{ address: '10.0.0.5', family: 4 }],
 * });
 * // { allowed: false, reason: 'requests to private IP address ranges are disallowed' }
 * ```
 * @see checkUrlRules
 */
export async function checkRequestTarget(url: URL, rules: HttpRules, resolver: DnsResolver): Promise<TargetVerdict> {
  for (const check of [checkScheme, checkPort, checkIpLiteral, checkPrivateLiteral]) {
    const verdict = check(url, rules);
    if (!verdict.allowed) return verdict;
  }
  const hostname = bareHostname(url);
  const port = effectivePort(url);
  let addresses: readonly ResolvedAddress[] = [];
  if (parseIp(hostname) === undefined) {
    try {
      addresses = await resolver.lookup(hostname);
    } catch (error) {
      return { allowed: false, reason: lookupFailure(hostname, error) };
    }
    if (addresses.length === 0) return { allowed: false, reason: `lookup ${hostname}: no such host` };
    if (!rules.allowPrivate && addresses.some(({ address }) => isNonGlobalAddress(address))) {
      return { allowed: false, reason: HTTP_RULE_ERRORS.privateDisallowed };
    }
  }
  const domain = checkDomain(hostname, rules);
  if (!domain.allowed) return domain;
  if (rules.allowedDomains.length === 0 && rules.blockedDomains.length > 0 && resolver.resolveCname !== undefined) {
    if (parseIp(hostname) === undefined) {
      const targets = await resolver.resolveCname(hostname).catch(() => [] as readonly string[]);
      for (const target of targets) {
        const verdict = checkDomain(target, rules);
        if (!verdict.allowed) return verdict;
      }
    }
  }
  return { allowed: true, hostname, port, addresses };
}
