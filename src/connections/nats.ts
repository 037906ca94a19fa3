/**
 * The NATS connection of an app (`connections.nats.serverAddress`): opened at start with retries and a deadline,
 * reconnecting for ever while the app runs, with its health, confirmed publishes and JetStream.
 *
 * @module
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { connectWithRetry } from './retry.js';

/** The default NATS address when none is written. */
export const DEFAULT_NATS_ADDRESS = 'nats://127.0.0.1:4222';

/** An open NATS connection, as the stream sources and sinks use it. */
export interface NatsConnectionHandle {
  readonly kind: 'nats';
  /** The address as configured (in errors and logs). */
  readonly address: string;
  readonly connection: NatsConnection;
  /** Connected now (false while reconnecting and once closed). */
  readonly healthy: boolean;
  readonly closed: boolean;
  /** The JetStream client of the connection. */
  readonly jetstream: JetStreamClient;
  /** The JetStream manager (created once, on first use). */
  manager(): Promise<JetStreamManager>;
  /**
   * Resolves once everything published before the call reached the server: one `flush` (PING/PONG) is shared by
   * every publish of the same turn of the event loop.
   */
  confirm(): Promise<void>;
  /** The JetStream stream that stores `subject`, or `undefined` (none, or no JetStream); cached for 30 s. */
  streamOf(subject: string): Promise<string | undefined>;
  /** Drains: subscriptions end after their pending messages, publishes are flushed, then the connection closes. */
  drain(): Promise<void>;
  /** Closes at once. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@link connectNats}. */
export interface NatsConnectOptions {
  readonly logger: Logger;
  /** The total time to reach the server at start (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** The client name the server shows (default `e2rx`). */
  readonly name?: string;
}

const STREAM_CACHE_MS = 30_000;

/**
 * Connects to NATS: retries with backoff until `connectTimeoutMs`, then fails with `E2RX_CONNECTION` naming the
 * address. Once connected, the client reconnects without limit (a run in progress keeps its messages: JetStream
 * redelivers what was not acknowledged), and {@link NatsConnectionHandle.healthy} follows the connection.
 *
 * @example
 * ```ts
 * const nats = await connectNats('nats://127.0.0.1:4222', { logger });
 * nats.connection.publish('greetings', 'hello');
 * await nats.confirm();
 * await nats.drain();
 * ```
 */
export async function connectNats(address: string, options: NatsConnectOptions): Promise<NatsConnectionHandle> {
  const servers = address
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  const logger = options.logger.child({ connection: 'nats' });
  const connection = await connectWithRetry(
    (timeLeft) =>
      connect({
        servers: servers.length > 0 ? servers : [DEFAULT_NATS_ADDRESS],
        name: options.name ?? 'e2rx',
        timeout: Math.max(100, Math.min(timeLeft, 2_000)),
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        waitOnFirstConnect: false,
      }),
    {
      service: 'NATS',
      address,
      ...(options.connectTimeoutMs !== undefined ? { timeoutMs: options.connectTimeoutMs } : {}),
      onRetry: (error, attempt, delayMs) => logger.warn({ address, attempt, delayMs, err: errorMessage(error) }, `NATS at ${address} is not reachable yet`),
      dispose: (late) => void (late as NatsConnection).close(),
    },
  );
  let healthy = true;
  let closed = false;
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting' || status.type === 'staleConnection') {
        if (healthy) logger.warn({ address, status: status.type }, `NATS connection lost (${status.type}); reconnecting`);
        healthy = false;
      } else if (status.type === 'reconnect') {
        healthy = true;
        logger.info({ address }, 'NATS connection restored');
      } else if (status.type === 'slowConsumer') {
        logger.warn({ address }, 'NATS: a subscription is a slow consumer; messages are being dropped');
      } else if (status.type === 'error') {
        logger.warn({ address, err: errorMessage(status.error) }, 'NATS server error');
      }
    }
  })().catch(() => undefined);
  void connection.closed().then((error) => {
    healthy = false;
    closed = true;
    if (error) logger.error({ address, err: errorMessage(error) }, 'NATS connection closed on an error');
  });

  const js = jetstream(connection);
  let manager: Promise<JetStreamManager> | undefined;
  let flushing: Promise<void> | undefined;
  const streams = new Map<string, { stream: string | undefined; until: number }>();

  const handle: NatsConnectionHandle = {
    kind: 'nats',
    address,
    connection,
    get healthy() {
      return healthy && !connection.isClosed();
    },
    get closed() {
      return closed || connection.isClosed();
    },
    jetstream: js,
    manager() {
      manager ??= jetstreamManager(connection).catch((error: unknown) => {
        manager = undefined;
        throw error;
      });
      return manager;
    },
    confirm() {
      flushing ??= new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          flushing = undefined;
          connection.flush().then(resolve, reject);
        });
      });
      return flushing;
    },
    async streamOf(subject) {
      const cached = streams.get(subject);
      if (cached && cached.until > Date.now()) return cached.stream;
      let stream: string | undefined;
      try {
        const jsm = await handle.manager();
        stream = await jsm.streams.find(subject);
      } catch (error) {
        if (!/no stream matches|jetstream not enabled|no responders/i.test(errorMessage(error))) throw error;
        stream = undefined;
      }
      streams.set(subject, { stream, until: Date.now() + STREAM_CACHE_MS });
      return stream;
    },
    async drain() {
      if (connection.isClosed()) return;
      if (connection.isDraining()) {
        await connection.closed();
        return;
      }
      await connection.drain().catch(() => connection.close());
    },
    async close() {
      if (!connection.isClosed()) await connection.close();
    },
    [Symbol.asyncDispose]() {
      return handle.drain();
    },
  };
  return handle;
}
