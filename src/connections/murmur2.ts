/**
 * The partition of a keyed Kafka record, as the Java client chooses it (`Utils.murmur2` of the key, made positive,
 * modulo the partitions): so that an output keyed like its input lands where a Java, kafkajs or librdkafka
 * (`murmur2_random`) producer would put it. 32-bit integer arithmetic (`Math.imul`), no allocation: it runs for
 * every record produced.
 *
 * @module
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * The 32-bit murmur2 hash of `key`, as Java's `org.apache.kafka.common.utils.Utils.murmur2` (a signed int).
 *
 * @example
 * ```ts
 * murmur2(Buffer.from('order-7')) & 0x7fffffff; // the positive hash Java's partitioner takes modulo the partitions
 * ```
 */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (key[i] as number) | ((key[i + 1] as number) << 8) | ((key[i + 2] as number) << 16) | ((key[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= (key[whole + 2] as number) << 16;
    if (rest >= 2) h ^= (key[whole + 1] as number) << 8;
    h ^= key[whole] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition Java's default partitioner gives a keyed record: `toPositive(murmur2(key)) % partitions`.
 *
 * @example
 * ```ts
 * keyPartition(Buffer.from('order-7'), 4); // 0..3, the same as a Java producer
 * ```
 */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
