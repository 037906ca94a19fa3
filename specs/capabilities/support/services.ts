import { connect } from 'node:net';

/** The local services of `scripts/services.sh`, overridable by environment variables. */
export const SERVICES = {
  postgres: process.env['E2RX_POSTGRES_URL'] ?? 'postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx',
  mysql: process.env['E2RX_MYSQL_URL'] ?? 'mysql://e2rx:e2rx@127.0.0.1:3306/e2rx',
  redis: process.env['E2RX_REDIS_URL'] ?? '127.0.0.1:6379',
} as const;

/** The host and port of a service address (`host:port` or a URL). */
export function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  if (address.includes('://')) {
    const url = new URL(address);
    return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? defaultPort : Number(url.port) };
  }
  const [host = '127.0.0.1', port] = address.split(':');
  return { host, port: port === undefined ? defaultPort : Number(port) };
}

/**
 * Fails (never skips) when a service does not accept TCP connections, naming it and how to start it.
 */
export async function requireService(name: string, address: string, defaultPort: number): Promise<void> {
  const { host, port } = hostPort(address, defaultPort);
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: 3000 });
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`${name} is not reachable at ${host}:${port} (${why}): start the services with \`bash scripts/services.sh up\``));
    };
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (error) => fail(error.message));
  });
}

/**
 * Checks a service before a suite and makes every test of the suite fail (not skip) when it is missing: call
 * `gate.check()` first in `beforeAll` (it returns false when the service is missing, so the setup can stop), and
 * register `gate.enforce` with `beforeEach`.
 */
export function serviceGate(name: string, address: string, defaultPort: number) {
  let missing: Error | undefined;
  return {
    async check(): Promise<boolean> {
      missing = await requireService(name, address, defaultPort).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      return missing === undefined;
    },
    enforce(): void {
      if (missing !== undefined) throw missing;
    },
  };
}

/** A random suffix for table and key names that no other run uses. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
