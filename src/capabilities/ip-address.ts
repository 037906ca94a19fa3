/**
 * Parsing and classification of IP addresses for the outbound HTTP rules (spec §1.9 `allowIPs`, `allowPrivate`).
 *
 * Pure functions, no DNS: {@link isNonGlobalAddress} says whether an address must be refused when private ranges are
 * disallowed. The list is wider than Go's `IsPrivate() || !IsGlobalUnicast()` used by the original: it also covers
 * CGNAT (100.64/10), `0.0.0.0/8`, the documentation and benchmarking ranges, reserved `240/4`, and IPv6 forms that embed
 * an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4), which are judged by the IPv4 address they carry.
 *
 * @module
 */

/** A parsed IP address: 4 bytes for IPv4, 16 for IPv6. */
export interface IpBytes {
  readonly family: 4 | 6;
  readonly bytes: readonly number[];
}

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * Parses a dotted-quad IPv4 address (`127.0.0.1`). Only the canonical form is accepted; odd forms such as
 * `2130706433` or `0x7f.1` are normalised earlier by the WHATWG URL parser, which is how request URLs are read.
 *
 * @example
 * ```ts
 * parseIPv4('10.0.0.5'); // [10, 0, 0, 5]
 * parseIPv4('10.0.0'); // undefined
 * ```
 */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    bytes.push(Number(part));
  }
  return bytes;
}

/**
 * Parses an IPv6 address (`::1`, `fe80::1%eth0`, `::ffff:127.0.0.1`, optionally in brackets) into 16 bytes.
 * A zone id (`%eth0`) is ignored.
 *
 * @example
 * ```ts
 * parseIPv6('[::1]')?.at(-1); // 1
 * ```
 */
export function parseIPv6(input: string): number[] | undefined {
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.length === 0 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;

  // An embedded IPv4 address in the last 32 bits.
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined || lastColon < 0) return undefined;
    tail = v4;
    text = text.slice(0, lastColon + 1);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }

  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
      const value = Number.parseInt(group, 16);
      groups.push(value >> 8, value & 0xff);
    }
    return groups;
  };
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1) {
    return known === 16 ? [...head, ...tail] : undefined;
  }
  if (known > 14) return undefined; // `::` stands for at least one group
  return [...head, ...new Array<number>(16 - known).fill(0), ...rest, ...tail];
}

/**
 * Parses an IP literal of either family, bracketed IPv6 included. Returns `undefined` for anything else (a DNS name).
 *
 * @example
 * ```ts
 * parseIp('[::1]')?.family; // 6
 * parseIp('example.com'); // undefined
 * ```
 */
export function parseIp(text: string): IpBytes | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return { family: 6, bytes: v6 };
  return undefined;
}

/** An IPv4 CIDR block as [first byte pattern, prefix length]. */
type Cidr = readonly [readonly number[], number];

/** IPv4 ranges that are not globally routable unicast (RFC 6890 and friends). */
const NON_GLOBAL_V4: readonly Cidr[] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // carrier-grade NAT
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local (cloud metadata lives here)
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // TEST-NET-1
  [[192, 88, 99, 0], 24], // 6to4 relay anycast
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // TEST-NET-2
  [[203, 0, 113, 0], 24], // TEST-NET-3
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, broadcast
];

/** IPv6 ranges that are not globally routable unicast (those embedding IPv4 are handled separately). */
const NON_GLOBAL_V6: readonly Cidr[] = [
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48], // local-use NAT64
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], // discard-only
  [[0x20, 0x01, 0x00, 0x00], 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0xfc, 0x00], 7], // unique-local
  [[0xfe, 0x80], 10], // link-local
  [[0xfe, 0xc0], 10], // site-local (deprecated)
  [[0xff, 0x00], 8], // multicast
];

function inCidr(bytes: readonly number[], [prefix, length]: Cidr): boolean {
  let remaining = length;
  for (let index = 0; remaining > 0; index += 1) {
    const bits = Math.min(8, remaining);
    const mask = (0xff << (8 - bits)) & 0xff;
    if (((bytes[index] ?? 0) & mask) !== ((prefix[index] ?? 0) & mask)) return false;
    remaining -= bits;
  }
  return true;
}

function isNonGlobalV4(bytes: readonly number[]): boolean {
  return NON_GLOBAL_V4.some((cidr) => inCidr(bytes, cidr));
}

function isNonGlobalV6(bytes: readonly number[]): boolean {
  const first10Zero = bytes.slice(0, 10).every((b) => b === 0);
  // ::ffff:a.b.c.d (IPv4-mapped): judged by the IPv4 address.
  if (first10Zero && bytes[10] === 0xff && bytes[11] === 0xff) return isNonGlobalV4(bytes.slice(12));
  // ::/96 (unspecified, loopback, deprecated IPv4-compatible): never global.
  if (first10Zero && bytes[10] === 0 && bytes[11] === 0) return true;
  // 64:ff9b::/96 (NAT64 well-known prefix): judged by the embedded IPv4 address.
  if (inCidr(bytes, [[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96])) return isNonGlobalV4(bytes.slice(12));
  // 2002::/16 (6to4): judged by the embedded IPv4 address.
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return isNonGlobalV4(bytes.slice(2, 6));
  return NON_GLOBAL_V6.some((cidr) => inCidr(bytes, cidr));
}

/**
 * Whether an IP address is loopback, private, link-local, unique-local, CGNAT, unspecified, multicast, reserved or
 * documentation space, or an IPv6 form embedding such an IPv4 address. Such addresses are refused when
 * `allowPrivate` is false. A string that is not an IP address is reported as non-global (fail closed).
 *
 * @example
 * ```ts
 * isNonGlobalAddress('169.254.169.254'); // true
 * isNonGlobalAddress('::ffff:10.0.0.1'); // true
 * isNonGlobalAddress('93.184.216.34'); // false
 * ```
 */
export function isNonGlobalAddress(address: string): boolean {
  const ip = parseIp(address);
  if (ip === undefined) return true;
  return ip.family === 4 ? isNonGlobalV4(ip.bytes) : isNonGlobalV6(ip.bytes);
}
