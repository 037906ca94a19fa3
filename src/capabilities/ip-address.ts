/**
 * Parsing and classification of IP addresses for the outbound HTTP rules (docs/reference/capabilities.md `allowIPs`, `allowPrivate`),
 * on top of ipaddr.js (its parser and its list of special-purpose ranges).
 *
 * Pure functions, no DNS: {@link isNonGlobalAddress} says whether an address must be refused when private ranges are
 * disallowed. Only ordinary public unicast is let through. Refused: every block of the IANA IPv4 and IPv6
 * Special-Purpose Address Registries, globally reachable or not (none of them serves HTTP to a function: AS112 and AMT
 * relays, anycast PCP/TURN, ORCHID, documentation, benchmarking, …), multicast, IPv4-translated `::ffff:0:0:0/96`,
 * deprecated site-local `fec0::/10`, and every IPv6 address outside global unicast `2000::/3` (IPv4-compatible `::/96`
 * included). The IPv6 forms that carry a public IPv4 address unchanged — IPv4-mapped `::ffff:0:0/96`, NAT64
 * `64:ff9b::/96`, 6to4 `2002::/16` — are judged by that IPv4 address. The list is wider than Go's
 * `IsPrivate() || !IsGlobalUnicast()` used by the original.
 *
 * @see https://www.iana.org/assignments/iana-ipv4-special-registry/
 * @see https://www.iana.org/assignments/iana-ipv6-special-registry/
 * @module
 */
import { createRequire } from 'node:module';
import type * as Ipaddr from 'ipaddr.js';

// ipaddr.js is CommonJS with `export =` (no named ESM exports): loaded through require.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof Ipaddr;

/** A parsed IP address (an ipaddr.js `IPv4` or `IPv6`). */
export type IpAddress = Ipaddr.IPv4 | Ipaddr.IPv6;

/**
 * Parses an IP literal: a dotted-quad IPv4 address (`127.0.0.1`; odd forms such as `2130706433` or `0x7f.1` are
 * normalised earlier by the WHATWG URL parser, which is how request URLs are read) or an IPv6 address, bracketed or
 * not, with or without a zone id (`[fe80::1%eth0]`). Returns `undefined` for anything else (a DNS name).
 *
 * @example
 * ```ts
 * parseIp('[::1]')?.kind(); // 'ipv6'
 * parseIp('10.0.0.5')?.toString(); // '10.0.0.5'
 * parseIp('example.com'); // undefined
 * ```
 */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  return undefined;
}

const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/** The IPv4 address in 16-bit parts `high` and `low` of an IPv6 address. */
function embeddedIPv4(address: Ipaddr.IPv6, high: number, low: number): Ipaddr.IPv4 {
  const h = address.parts[high] ?? 0;
  const l = address.parts[low] ?? 0;
  return new ipaddr.IPv4([h >> 8, h & 0xff, l >> 8, l & 0xff]);
}

function ipv4Range(address: Ipaddr.IPv4): string {
  return address.range();
}

function ipv6Range(address: Ipaddr.IPv6): string {
  if (address.isIPv4MappedAddress()) return ipv4Range(address.toIPv4Address());
  if (address.match(NAT64_WELL_KNOWN)) return ipv4Range(embeddedIPv4(address, 6, 7));
  if (address.match(SIX_TO_FOUR)) return ipv4Range(embeddedIPv4(address, 1, 2));
  const range = address.range();
  // ipaddr.js calls everything it has no name for unicast; only 2000::/3 is allocated as global unicast.
  return range === 'unicast' && !address.match(GLOBAL_UNICAST) ? 'reserved' : range;
}

/**
 * The name of the special-purpose range an address is in (ipaddr.js's names: `private`, `loopback`, `linkLocal`,
 * `uniqueLocal`, `carrierGradeNat`, `reserved`, `rfc6145`, …), judged by the IPv4 address for the IPv6 forms that
 * carry one unchanged; `unicast` for an ordinary public address; `undefined` when `address` is not an IP address.
 *
 * @example
 * ```ts
 * addressRange('169.254.169.254'); // 'linkLocal'
 * addressRange('::ffff:0:7f00:1'); // 'rfc6145' (IPv4-translated)
 * addressRange('64:ff9b::808:808'); // 'unicast' (NAT64 of 8.8.8.8)
 * ```
 */
export function addressRange(address: string): string | undefined {
  const ip = parseIp(address);
  if (ip === undefined) return undefined;
  return ip.kind() === 'ipv4' ? ipv4Range(ip as Ipaddr.IPv4) : ipv6Range(ip as Ipaddr.IPv6);
}

/**
 * Whether an address must be refused when `allowPrivate` is false: anything but ordinary public unicast (see the
 * module's description for the ranges). A string that is not an IP address is reported as non-global (fail closed).
 *
 * @example
 * ```ts
 * isNonGlobalAddress('169.254.169.254'); // true
 * isNonGlobalAddress('::ffff:10.0.0.1'); // true
 * isNonGlobalAddress('::ffff:0:7f00:1'); // true
 * isNonGlobalAddress('93.184.216.34'); // false
 * ```
 */
export function isNonGlobalAddress(address: string): boolean {
  return addressRange(address) !== 'unicast';
}
