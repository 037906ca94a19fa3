import { describe, expect, it } from 'vitest';
import { addressRange, isNonGlobalAddress, parseIp } from '../../src/capabilities/ip-address.js';

/** One entry of an IANA special-purpose address registry, with the first and last addresses of its block. */
interface RegistryEntry {
  readonly block: string;
  readonly name: string;
  readonly rfc: string;
  readonly samples: readonly string[];
}

/** The IANA IPv4 Special-Purpose Address Registry, every entry. Each is refused when `allowPrivate` is false. */
const IANA_IPV4_SPECIAL: readonly RegistryEntry[] = [
  { block: '0.0.0.0/8', name: '"This network"', rfc: 'RFC 791 §3.2', samples: ['0.0.0.0', '0.1.2.3', '0.255.255.255'] },
  { block: '0.0.0.0/32', name: '"This host on this network"', rfc: 'RFC 1122 §3.2.1.3', samples: ['0.0.0.0'] },
  { block: '10.0.0.0/8', name: 'Private-Use', rfc: 'RFC 1918', samples: ['10.0.0.0', '10.0.0.5', '10.255.255.255'] },
  { block: '100.64.0.0/10', name: 'Shared Address Space', rfc: 'RFC 6598', samples: ['100.64.0.0', '100.64.0.1', '100.127.255.255'] },
  { block: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122 §3.2.1.3', samples: ['127.0.0.0', '127.0.0.1', '127.255.0.1', '127.255.255.255'] },
  { block: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927', samples: ['169.254.0.0', '169.254.169.254', '169.254.255.255'] },
  { block: '172.16.0.0/12', name: 'Private-Use', rfc: 'RFC 1918', samples: ['172.16.0.0', '172.16.0.1', '172.31.255.255'] },
  { block: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890 §2.1', samples: ['192.0.0.0', '192.0.0.255'] },
  { block: '192.0.0.0/29', name: 'IPv4 Service Continuity Prefix', rfc: 'RFC 7335', samples: ['192.0.0.0', '192.0.0.7'] },
  { block: '192.0.0.8/32', name: 'IPv4 dummy address', rfc: 'RFC 7600', samples: ['192.0.0.8'] },
  { block: '192.0.0.9/32', name: 'Port Control Protocol Anycast', rfc: 'RFC 7723', samples: ['192.0.0.9'] },
  { block: '192.0.0.10/32', name: 'Traversal Using Relays around NAT Anycast', rfc: 'RFC 8155', samples: ['192.0.0.10'] },
  { block: '192.0.0.170/32, 192.0.0.171/32', name: 'NAT64/DNS64 Discovery', rfc: 'RFC 8880, RFC 7050 §2.2', samples: ['192.0.0.170', '192.0.0.171'] },
  { block: '192.0.2.0/24', name: 'Documentation (TEST-NET-1)', rfc: 'RFC 5737', samples: ['192.0.2.0', '192.0.2.255'] },
  { block: '192.31.196.0/24', name: 'AS112-v4', rfc: 'RFC 7535', samples: ['192.31.196.0', '192.31.196.255'] },
  { block: '192.52.193.0/24', name: 'AMT', rfc: 'RFC 7450', samples: ['192.52.193.0', '192.52.193.255'] },
  { block: '192.88.99.0/24', name: 'Deprecated (6to4 Relay Anycast)', rfc: 'RFC 7526', samples: ['192.88.99.0', '192.88.99.255'] },
  { block: '192.88.99.2/32', name: '6a44-relay anycast address', rfc: 'RFC 6751', samples: ['192.88.99.2'] },
  { block: '192.168.0.0/16', name: 'Private-Use', rfc: 'RFC 1918', samples: ['192.168.0.0', '192.168.1.1', '192.168.255.255'] },
  { block: '192.175.48.0/24', name: 'Direct Delegation AS112 Service', rfc: 'RFC 7534', samples: ['192.175.48.0', '192.175.48.255'] },
  { block: '198.18.0.0/15', name: 'Benchmarking', rfc: 'RFC 2544', samples: ['198.18.0.0', '198.18.0.1', '198.19.255.255'] },
  { block: '198.51.100.0/24', name: 'Documentation (TEST-NET-2)', rfc: 'RFC 5737', samples: ['198.51.100.0', '198.51.100.255'] },
  { block: '203.0.113.0/24', name: 'Documentation (TEST-NET-3)', rfc: 'RFC 5737', samples: ['203.0.113.0', '203.0.113.255'] },
  { block: '240.0.0.0/4', name: 'Reserved', rfc: 'RFC 1112 §4', samples: ['240.0.0.0', '255.255.255.254'] },
  { block: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 8190, RFC 919 §7', samples: ['255.255.255.255'] },
];

/**
 * The IANA IPv6 Special-Purpose Address Registry, every entry. Each is refused, except the three blocks that carry an
 * IPv4 address unchanged (see {@link EMBEDDING_IPV4}), judged by that address.
 */
const IANA_IPV6_SPECIAL: readonly RegistryEntry[] = [
  { block: '::1/128', name: 'Loopback Address', rfc: 'RFC 4291', samples: ['::1', '[::1]'] },
  { block: '::/128', name: 'Unspecified Address', rfc: 'RFC 4291', samples: ['::'] },
  { block: '64:ff9b:1::/48', name: 'IPv4-IPv6 Translat.', rfc: 'RFC 8215', samples: ['64:ff9b:1::', '64:ff9b:1::808:808', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'] },
  { block: '100::/64', name: 'Discard-Only Address Block', rfc: 'RFC 6666', samples: ['100::', '100::ffff:ffff:ffff:ffff'] },
  { block: '100:0:0:1::/64', name: 'Dummy IPv6 Prefix', rfc: 'RFC 9780', samples: ['100:0:0:1::', '100::1:ffff:ffff:ffff:ffff'] },
  { block: '2001::/23', name: 'IETF Protocol Assignments', rfc: 'RFC 2928', samples: ['2001::', '2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2001::/32', name: 'TEREDO', rfc: 'RFC 4380, RFC 8190', samples: ['2001::', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2001:1::1/128', name: 'Port Control Protocol Anycast', rfc: 'RFC 7723', samples: ['2001:1::1'] },
  { block: '2001:1::2/128', name: 'Traversal Using Relays around NAT Anycast', rfc: 'RFC 8155', samples: ['2001:1::2'] },
  { block: '2001:1::3/128', name: 'DNS-SD Service Registration Protocol Anycast', rfc: 'RFC 9665', samples: ['2001:1::3'] },
  { block: '2001:2::/48', name: 'Benchmarking', rfc: 'RFC 5180, RFC Errata 1752', samples: ['2001:2::', '2001:2:0:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2001:3::/32', name: 'AMT', rfc: 'RFC 7450', samples: ['2001:3::', '2001:3:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2001:4:112::/48', name: 'AS112-v6', rfc: 'RFC 7535', samples: ['2001:4:112::', '2001:4:112:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2001:10::/28', name: 'Deprecated (previously ORCHID)', rfc: 'RFC 4843', samples: ['2001:10::', '2001:1f:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2001:20::/28', name: 'ORCHIDv2', rfc: 'RFC 7343', samples: ['2001:20::', '2001:2f:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2001:30::/28', name: 'Drone Remote ID Protocol Entity Tags (DETs) Prefix', rfc: 'RFC 9374', samples: ['2001:30::', '2001:3f:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2001:db8::/32', name: 'Documentation', rfc: 'RFC 3849', samples: ['2001:db8::', '2001:db8::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '2620:4f:8000::/48', name: 'Direct Delegation AS112 Service', rfc: 'RFC 7534', samples: ['2620:4f:8000::', '2620:4f:8000:ffff:ffff:ffff:ffff:ffff'] },
  { block: '3fff::/20', name: 'Documentation', rfc: 'RFC 9637', samples: ['3fff::', '3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '5f00::/16', name: 'Segment Routing (SRv6) SIDs', rfc: 'RFC 9602', samples: ['5f00::', '5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: 'fc00::/7', name: 'Unique-Local', rfc: 'RFC 4193, RFC 8190', samples: ['fc00::', 'fc00::1', 'fd12:3456::1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: 'fe80::/10', name: 'Link-Local Unicast', rfc: 'RFC 4291', samples: ['fe80::', 'fe80::1', 'fe80::1%eth0', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] },
];

/** The registry's IPv6 blocks that carry an IPv4 address unchanged: judged by it, never let through for a private one. */
const EMBEDDING_IPV4: readonly (RegistryEntry & { readonly publicSamples: readonly string[] })[] = [
  {
    block: '::ffff:0:0/96',
    name: 'IPv4-mapped Address',
    rfc: 'RFC 4291',
    samples: ['::ffff:0.0.0.0', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '::ffff:255.255.255.255'],
    publicSamples: ['::ffff:8.8.8.8', '::ffff:5db8:d822'],
  },
  {
    block: '64:ff9b::/96',
    name: 'IPv4-IPv6 Translat.',
    rfc: 'RFC 6052',
    samples: ['64:ff9b::', '64:ff9b::a00:1', '64:ff9b::7f00:1', '64:ff9b::ffff:ffff'],
    publicSamples: ['64:ff9b::808:808'],
  },
  {
    block: '2002::/16',
    name: '6to4',
    rfc: 'RFC 3056',
    samples: ['2002::', '2002:7f00:1::', '2002:a00:1::1', '2002:a9fe:a9fe::', '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    publicSamples: ['2002:808:808::1'],
  },
];

/** Refused although no IANA special-purpose entry: multicast, and IPv6 outside global unicast or deprecated. */
const OTHER_NON_PUBLIC: readonly RegistryEntry[] = [
  { block: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771', samples: ['224.0.0.0', '224.0.0.1', '239.255.255.255'] },
  { block: 'ff00::/8', name: 'Multicast', rfc: 'RFC 4291', samples: ['ff00::', 'ff02::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: '::ffff:0:0:0/96', name: 'IPv4-translated', rfc: 'RFC 6145, RFC 2765', samples: ['::ffff:0:0:0', '::ffff:0:7f00:1', '::ffff:0:808:808', '::ffff:0:ffff:ffff'] },
  { block: '::/96', name: 'IPv4-compatible (deprecated)', rfc: 'RFC 4291 §2.5.5.1', samples: ['::2', '::7f00:1', '::a00:1', '::808:808', '::ffff:ffff'] },
  { block: 'fec0::/10', name: 'Site-local (deprecated)', rfc: 'RFC 3879', samples: ['fec0::', 'fec0::1', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] },
  { block: 'outside 2000::/3', name: 'Reserved by IETF', rfc: 'RFC 4291 §2.4', samples: ['1::1', '4000::1', '8000::', 'e000::1', 'fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] },
];

/** Ordinary public unicast, including the addresses just outside the special blocks. */
const PUBLIC = [
  '93.184.216.34',
  '8.8.8.8',
  '1.1.1.1',
  '1.0.0.0',
  '9.255.255.255',
  '11.0.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '100.128.0.1',
  '126.255.255.255',
  '128.0.0.0',
  '169.253.255.255',
  '169.255.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '172.32.0.1',
  '192.0.1.255',
  '192.0.3.0',
  '192.88.98.255',
  '192.88.100.0',
  '192.167.255.255',
  '192.169.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
  '2606:4700::1111',
  '2a00:1450:4001::1',
  '2001:200::1',
  '2001:db9::1',
  '2620:4f:8001::1',
  '2003::1',
  '3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

describe('ip-address', () => {
  it('parseIp - reads dotted quads and refuses other IPv4 forms', () => {
    expect(parseIp('10.0.0.5')?.toByteArray()).toEqual([10, 0, 0, 5]);
    expect(parseIp('255.255.255.255')?.toByteArray()).toEqual([255, 255, 255, 255]);
    for (const text of ['10.0.0', '256.0.0.1', '01.0.0.1', '2130706433', '0x7f.1', '127.1']) expect(parseIp(text), text).toBeUndefined();
  });

  it('parseIp - reads compressed, bracketed, zoned and IPv4-embedding IPv6 forms', () => {
    expect(parseIp('::1')?.toByteArray()).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(parseIp('[::1]')?.toByteArray()).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(parseIp('::')?.toByteArray()).toEqual(new Array(16).fill(0));
    expect(parseIp('fe80::1%eth0')?.toByteArray().slice(0, 2)).toEqual([0xfe, 0x80]);
    expect(parseIp('::ffff:127.0.0.1')?.toByteArray()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]);
    expect(parseIp('2001:db8:0:0:0:0:0:1')?.toByteArray()).toHaveLength(16);
    for (const text of ['1:2:3:4:5:6:7:8:9', '1::2::3', 'example.com', '[example.com]', '', '[]', '::1%']) expect(parseIp(text), text).toBeUndefined();
  });

  it('parseIp - tells IP literals from names', () => {
    expect(parseIp('127.0.0.1')?.kind()).toBe('ipv4');
    expect(parseIp('[::1]')?.kind()).toBe('ipv6');
    expect(parseIp('localhost')).toBeUndefined();
  });

  describe.each(IANA_IPV4_SPECIAL)('IANA IPv4 special-purpose $block ($name, $rfc)', (entry) => {
    it.each(entry.samples)('isNonGlobalAddress - refuses %s', (address) => {
      expect(isNonGlobalAddress(address)).toBe(true);
    });
  });

  describe.each(IANA_IPV6_SPECIAL)('IANA IPv6 special-purpose $block ($name, $rfc)', (entry) => {
    it.each(entry.samples)('isNonGlobalAddress - refuses %s', (address) => {
      expect(isNonGlobalAddress(address)).toBe(true);
    });
  });

  describe.each(EMBEDDING_IPV4)('IANA IPv6 special-purpose $block ($name, $rfc), judged by its IPv4 address', (entry) => {
    it.each(entry.samples)('isNonGlobalAddress - refuses %s (a non-public IPv4 address)', (address) => {
      expect(isNonGlobalAddress(address)).toBe(true);
    });
    it.each(entry.publicSamples)('isNonGlobalAddress - accepts %s (a public IPv4 address)', (address) => {
      expect(isNonGlobalAddress(address)).toBe(false);
    });
  });

  describe.each(OTHER_NON_PUBLIC)('non-public $block ($name, $rfc)', (entry) => {
    it.each(entry.samples)('isNonGlobalAddress - refuses %s', (address) => {
      expect(isNonGlobalAddress(address)).toBe(true);
    });
  });

  it('isNonGlobalAddress - the registry tables list every entry of both registries', () => {
    expect(IANA_IPV4_SPECIAL).toHaveLength(25);
    expect(IANA_IPV6_SPECIAL.length + EMBEDDING_IPV4.length).toBe(25);
  });

  it.each(PUBLIC)('isNonGlobalAddress - accepts the public address %s', (address) => {
    expect(isNonGlobalAddress(address)).toBe(false);
    expect(addressRange(address)).toBe('unicast');
  });

  it('isNonGlobalAddress - fails closed on something that is not an address', () => {
    expect(isNonGlobalAddress('not-an-ip')).toBe(true);
    expect(isNonGlobalAddress('')).toBe(true);
    expect(addressRange('not-an-ip')).toBeUndefined();
  });

  it('addressRange - names the range, judging IPv6 forms that embed an IPv4 address by it', () => {
    expect(addressRange('169.254.169.254')).toBe('linkLocal');
    expect(addressRange('10.0.0.1')).toBe('private');
    expect(addressRange('::ffff:10.0.0.1')).toBe('private');
    expect(addressRange('64:ff9b::7f00:1')).toBe('loopback');
    expect(addressRange('2002:a9fe:a9fe::')).toBe('linkLocal');
    expect(addressRange('::ffff:0:7f00:1')).toBe('rfc6145');
    expect(addressRange('4000::1')).toBe('reserved');
  });
});
