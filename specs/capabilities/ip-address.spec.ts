import { describe, expect, it } from 'vitest';
import { isNonGlobalAddress, parseIPv4, parseIPv6, parseIp } from '../../src/capabilities/ip-address.js';

describe('ip-address', () => {
  it('parseIPv4 - reads dotted quads and refuses other forms', () => {
    expect(parseIPv4('10.0.0.5')).toEqual([10, 0, 0, 5]);
    expect(parseIPv4('255.255.255.255')).toEqual([255, 255, 255, 255]);
    expect(parseIPv4('10.0.0')).toBeUndefined();
    expect(parseIPv4('256.0.0.1')).toBeUndefined();
    expect(parseIPv4('01.0.0.1')).toBeUndefined();
    expect(parseIPv4('2130706433')).toBeUndefined();
  });

  it('parseIPv6 - reads compressed, bracketed, zoned and IPv4-embedding forms', () => {
    expect(parseIPv6('::1')).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(parseIPv6('[::1]')).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(parseIPv6('::')).toEqual(new Array(16).fill(0));
    expect(parseIPv6('fe80::1%eth0')?.slice(0, 2)).toEqual([0xfe, 0x80]);
    expect(parseIPv6('::ffff:127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]);
    expect(parseIPv6('2001:db8:0:0:0:0:0:1')?.length).toBe(16);
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIPv6('1::2::3')).toBeUndefined();
    expect(parseIPv6('example.com')).toBeUndefined();
  });

  it('parseIp - tells IP literals from names', () => {
    expect(parseIp('127.0.0.1')?.family).toBe(4);
    expect(parseIp('[::1]')?.family).toBe(6);
    expect(parseIp('localhost')).toBeUndefined();
  });

  it('isNonGlobalAddress - refuses loopback, private, link-local, CGNAT, unspecified, multicast, reserved', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.1',
      '10.0.0.5',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '0.1.2.3',
      '224.0.0.1',
      '255.255.255.255',
      '198.18.0.1',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a00:1',
      '2002:7f00:1::',
      '2001:db8::1',
    ]) {
      expect(isNonGlobalAddress(address), address).toBe(true);
    }
  });

  it('isNonGlobalAddress - accepts public addresses', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
      expect(isNonGlobalAddress(address), address).toBe(false);
    }
  });

  it('isNonGlobalAddress - fails closed on something that is not an address', () => {
    expect(isNonGlobalAddress('not-an-ip')).toBe(true);
  });
});
