/**
 * The seed brokers of a Directive's `connections.kafka.brokerAddress`, as both Kafka drivers take them.
 *
 * @module
 */

/**
 * Splits a Directive `brokerAddress` into seed brokers: `host:port`, a comma-separated list, or URLs
 * (`kafka://host:9092`), whose scheme is dropped.
 *
 * @example
 * ```ts
 * seedBrokers('kafka://k1:9092, k2:9093'); // ['k1:9092', 'k2:9093']
 * ```
 */
export function seedBrokers(address: string | readonly string[]): string[] {
  const list = typeof address === 'string' ? address.split(',') : [...address];
  return list
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      if (!entry.includes('://')) return entry;
      const url = new URL(entry);
      return `${url.hostname}:${url.port === '' ? '9092' : url.port}`;
    });
}
