import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  KAFKA_BROKERS,
  MYSQL_URL,
  NATS_URL,
  POSTGRES_URL,
  REDIS_URL,
  requireService,
} from '../support/services.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Rejects with a message naming `what` when `promise` has not settled after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('local services (scripts/services.sh)', () => {
  it('services.sh - status reports every service up and exits 0', async () => {
    const { stdout } = await run('bash', [SCRIPT, 'status'], { timeout: 30_000 }).catch((error: unknown) => {
      const output = (error as { stdout?: string }).stdout ?? '';
      throw new Error(`services.sh status did not exit 0; run: npm run services up\n${output}`);
    });
    const lines = stdout.trim().split('\n');
    for (const service of ['nats', 'redis', 'postgres', 'mariadb', 'kafka']) {
      expect(lines.find((line) => line.startsWith(`${service} `))).toMatch(new RegExp(`^${service}\\s+up\\s`));
    }
  });

  it('requireService - a port nobody listens on fails naming the service and the start command', async () => {
    const nobody = { endpoints: [{ host: '127.0.0.1', port: 1 }], timeoutMs: 1_000 };
    await expect(requireService('redis', nobody)).rejects.toThrow(
      /^Redis is not reachable at 127\.0\.0\.1:1 \(.+\); run: npm run services up$/,
    );
  });

  it('nats - a message published on a subject reaches its subscriber', async () => {
    await requireService('nats');
    const nc = await connectNats({ servers: NATS_URL, name: 'e2rx-services-spec' });
    try {
      const subject = `e2rx.spec.services.${suffix}`;
      const received = new Promise<string>((resolve, reject) => {
        nc.subscribe(subject, {
          max: 1,
          callback: (error, msg) => (error === null ? resolve(msg.string()) : reject(error)),
        });
      });
      await nc.flush();
      nc.publish(subject, 'hello nats');
      expect(await within(received, 5_000, 'NATS subscription')).toBe('hello nats');
    } finally {
      await nc.close();
    }
  });

  it('nats - JetStream stores a published message in a stream', async () => {
    await requireService('nats');
    const nc = await connectNats({ servers: NATS_URL, name: 'e2rx-services-spec' });
    const stream = `E2RX_SPEC_${suffix.toUpperCase()}`;
    const subject = `e2rx.spec.js.${suffix}`;
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: stream, subjects: [subject] });
      try {
        const ack = await jetstream(nc).publish(subject, 'stored');
        expect(ack.stream).toBe(stream);
        expect(ack.seq).toBe(1);
        const stored = await jsm.streams.getMessage(stream, { seq: ack.seq });
        expect(stored?.subject).toBe(subject);
        expect(stored?.string()).toBe('stored');
      } finally {
        await jsm.streams.delete(stream);
      }
    } finally {
      await nc.close();
    }
  });

  it('redis - SET then GET returns the value', async () => {
    await requireService('redis');
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
    try {
      await redis.connect();
      const key = `e2rx:spec:services:${suffix}`;
      expect(await redis.set(key, 'hello redis', 'EX', 60)).toBe('OK');
      expect(await redis.get(key)).toBe('hello redis');
      expect(await redis.del(key)).toBe(1);
    } finally {
      redis.disconnect();
    }
  });

  it('postgres - the e2rx role logs in over TCP and owns its database', async () => {
    await requireService('postgres');
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
    await client.connect();
    const table = `e2rx_spec_services_${suffix}`;
    try {
      const one = await client.query<{ one: number }>('select 1 as one');
      expect(one.rows).toEqual([{ one: 1 }]);
      const sql = 'select current_user as user, current_database() as db';
      const who = await client.query<{ user: string; db: string }>(sql);
      expect(who.rows).toEqual([{ user: 'e2rx', db: 'e2rx' }]);
      await client.query(`create table ${table} (id int primary key, name text)`);
      await client.query(`insert into ${table} values (1, 'hello postgres')`);
      const row = await client.query<{ name: string }>(`select name from ${table} where id = 1`);
      expect(row.rows).toEqual([{ name: 'hello postgres' }]);
    } finally {
      await client.query(`drop table if exists ${table}`);
      await client.end();
    }
  });

  it('mariadb - the e2rx user logs in over TCP with all privileges on e2rx', async () => {
    await requireService('mysql');
    const connection = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 5_000 });
    const table = `e2rx_spec_services_${suffix}`;
    try {
      const [one] = await connection.query('select 1 as one');
      expect(one).toEqual([{ one: 1 }]);
      const [who] = await connection.query("select database() as db, substring_index(current_user(), '@', 1) as user");
      expect(who).toEqual([{ db: 'e2rx', user: 'e2rx' }]);
      await connection.query(`create table ${table} (id int primary key, name varchar(64))`);
      await connection.query(`insert into ${table} values (1, 'hello mariadb')`);
      const [rows] = await connection.query(`select name from ${table} where id = 1`);
      expect(rows).toEqual([{ name: 'hello mariadb' }]);
    } finally {
      await connection.query(`drop table if exists ${table}`);
      await connection.end();
    }
  });

  it('kafka - a created topic is listed, and a produced message is consumed', async () => {
    await requireService('kafka');
    const kafka = new Kafka({
      clientId: 'e2rx-services-spec',
      brokers: [...KAFKA_BROKERS],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 5_000,
    });
    const topic = `e2rx-spec-services-${suffix}`;
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId: `e2rx-spec-services-${suffix}` });
    await admin.connect();
    try {
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      expect(created).toBe(true);
      expect(await admin.listTopics()).toContain(topic);

      await producer.connect();
      const [sent] = await producer.send({ topic, messages: [{ key: 'k', value: 'hello kafka' }] });
      expect(sent?.errorCode).toBe(0);

      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const received = new Promise<string>((resolve, reject) => {
        consumer
          .run({
            eachMessage: ({ message }) => {
              resolve(message.value?.toString() ?? '');
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
      expect(await within(received, 30_000, 'Kafka consumer')).toBe('hello kafka');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
