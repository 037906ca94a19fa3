import { connect } from 'node:net';

/**
 * Addresses of the local services that `scripts/services.sh` starts (see docs/guides/local-services.md), each
 * overridable by an environment variable so that the integration specs can also run against other servers (for
 * example the ones of `compose.yaml`).
 *
 * @packageDocumentation
 */

/** NATS with JetStream: `E2RX_NATS_URL`, default `nats://127.0.0.1:4222`. */
export const NATS_URL: string = fromEnv('E2RX_NATS_URL', 'nats://127.0.0.1:4222');

/** Kafka bootstrap brokers as `host:port` entries: `E2RX_KAFKA_BROKERS` (comma separated), default `127.0.0.1:9092`. */
export const KAFKA_BROKERS: readonly string[] = fromEnv('E2RX_KAFKA_BROKERS', '127.0.0.1:9092')
  .split(',')
  .map((broker) => broker.trim())
  .filter((broker) => broker !== '');

/** Redis: `E2RX_REDIS_URL`, default `redis://127.0.0.1:6379`. */
export const REDIS_URL: string = fromEnv('E2RX_REDIS_URL', 'redis://127.0.0.1:6379');

/** PostgreSQL: `E2RX_POSTGRES_URL`, default `postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx`. */
export const POSTGRES_URL: string = fromEnv('E2RX_POSTGRES_URL', 'postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx');

/** MySQL or MariaDB: `E2RX_MYSQL_URL`, default `mysql://e2rx:e2rx@127.0.0.1:3306/e2rx`. */
export const MYSQL_URL: string = fromEnv('E2RX_MYSQL_URL', 'mysql://e2rx:e2rx@127.0.0.1:3306/e2rx');

/** A service that an integration spec can require. `mariadb` is the same service as `mysql`. */
export type ServiceName = 'nats' | 'kafka' | 'redis' | 'postgres' | 'mysql' | 'mariadb';

/** Every service of `scripts/services.sh`, in its order. */
export const SERVICE_NAMES: readonly ServiceName[] = ['nats', 'redis', 'postgres', 'mysql', 'kafka'];

/** A `host:port` to check with a TCP connection. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The command that starts the local services, named in every error of this module. */
export const START_HINT = 'run: npm run services up';

const LABELS: Readonly<Record<ServiceName, string>> = {
  nats: 'NATS',
  kafka: 'Kafka',
  redis: 'Redis',
  postgres: 'PostgreSQL',
  mysql: 'MySQL/MariaDB',
  mariadb: 'MySQL/MariaDB',
};

const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = {
  nats: 4222,
  kafka: 9092,
  redis: 6379,
  postgres: 5432,
  mysql: 3306,
  mariadb: 3306,
};

function fromEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

/**
 * The host and port of an address, either a URL (`redis://user:pw@host:6379/0`, `nats://[::1]:4222`) or a bare
 * `host:port`; `defaultPort` when the address names none.
 */
export function parseEndpoint(address: string, defaultPort: number): Endpoint {
  if (address.includes('://')) {
    const url = new URL(address);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { host: host === '' ? '127.0.0.1' : host, port: url.port === '' ? defaultPort : Number(url.port) };
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed !== null) {
    const [, host = '::1', port] = bracketed;
    return { host, port: port === undefined ? defaultPort : Number(port) };
  }
  const colon = address.lastIndexOf(':');
  if (colon === -1) return { host: address === '' ? '127.0.0.1' : address, port: defaultPort };
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/** The endpoints to check for a service: one for most, one per broker for Kafka. */
export function endpointsOf(name: ServiceName): Endpoint[] {
  const port = DEFAULT_PORTS[name];
  switch (name) {
    case 'nats':
      return NATS_URL.split(',').map((url) => parseEndpoint(url.trim(), port));
    case 'kafka':
      return KAFKA_BROKERS.map((broker) => parseEndpoint(broker, port));
    case 'redis':
      return [parseEndpoint(REDIS_URL, port)];
    case 'postgres':
      return [parseEndpoint(POSTGRES_URL, port)];
    case 'mysql':
    case 'mariadb':
      return [parseEndpoint(MYSQL_URL, port)];
  }
}

/** Resolves when a TCP connection to `endpoint` opens within `timeoutMs`; rejects with the reason otherwise. */
export function tcpConnect(endpoint: Endpoint, timeoutMs = 3000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => done(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    function done(error?: Error): void {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    }
    socket.once('connect', () => done());
    socket.once('error', (error) => done(error));
  });
}

/** Options of {@link requireService}. */
export interface RequireServiceOptions {
  /** How long to wait for each TCP connection, in milliseconds (default 3000). */
  readonly timeoutMs?: number;
  /** Addresses to try instead of the configured ones (default {@link endpointsOf}). */
  readonly endpoints?: readonly Endpoint[];
}

/**
 * Fails loudly when a service does not accept TCP connections: rejects with an Error that names the service, the
 * address tried, why it failed and `run: npm run services up`. Integration specs call it in `beforeAll` or first in
 * each test so that a missing service fails the suite; they must never skip silently. For Kafka, one reachable
 * broker is enough.
 */
export async function requireService(name: ServiceName, options: RequireServiceOptions = {}): Promise<void> {
  const endpoints = options.endpoints ?? endpointsOf(name);
  const failures: string[] = [];
  for (const endpoint of endpoints) {
    try {
      await tcpConnect(endpoint, options.timeoutMs ?? 3000);
      return;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      failures.push(`${formatEndpoint(endpoint)} (${why})`);
    }
  }
  const tried = failures.length === 0 ? 'no address configured' : failures.join(', ');
  throw new Error(`${LABELS[name]} is not reachable at ${tried}; ${START_HINT}`);
}

/** {@link requireService} for several services at once; the Error lists every one that is missing. */
export async function requireServices(...names: ServiceName[]): Promise<void> {
  const results = await Promise.allSettled(names.map((name) => requireService(name)));
  const messages = results.flatMap((result) => {
    if (result.status === 'fulfilled') return [];
    return [result.reason instanceof Error ? result.reason.message : String(result.reason)];
  });
  if (messages.length === 1) throw new Error(messages[0]);
  if (messages.length > 1) throw new Error(`${messages.length} services are not reachable:\n${messages.join('\n')}`);
}

function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}
