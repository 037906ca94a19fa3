import { randomBytes } from 'node:crypto';
import { murmur2 as clientMurmur2 } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { keyPartition, murmur2 } from '../../src/connections/murmur2.js';

describe('murmur2', () => {
  it("murmur2 - gives the hashes of Java's Utils.murmur2 (the vectors of Kafka's UtilsTest)", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it('murmur2 - agrees with the Kafka client on random keys of every length modulo 4', () => {
    for (let index = 0; index < 2_000; index += 1) {
      const key = randomBytes(index % 67);
      expect(murmur2(key)).toBe(clientMurmur2(key));
    }
  });

  it('keyPartition - takes the positive hash modulo the partitions, as Java does', () => {
    expect(keyPartition(Buffer.from('21'), 4)).toBe((-973932308 & 0x7fffffff) % 4);
    for (let index = 0; index < 100; index += 1) {
      const partition = keyPartition(Buffer.from(`key-${index}`), 7);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(7);
    }
  });
});
