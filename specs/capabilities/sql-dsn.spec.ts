import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { mysqlPoolOptions, parseMysqlDsn } from '../../src/connections/sql/mysql-dsn.js';
import { parsePostgresDsn } from '../../src/connections/sql/postgres.js';
import { parseRedisAddress, redisRetryDelay } from '../../src/connections/redis.js';

describe('sql-dsn', () => {
  it('parseMysqlDsn - reads the Go driver DSN', () => {
    expect(parseMysqlDsn('app:s3cret@tcp(db.internal:3307)/shop?parseTime=true&charset=utf8mb4')).toEqual({
      user: 'app',
      password: 's3cret',
      net: 'tcp',
      host: 'db.internal',
      port: 3307,
      database: 'shop',
      params: { parseTime: 'true', charset: 'utf8mb4' },
    });
  });

  it('parseMysqlDsn - applies the Go driver defaults', () => {
    expect(parseMysqlDsn('/db')).toMatchObject({ user: '', password: '', net: 'tcp', host: '127.0.0.1', port: 3306, database: 'db' });
    expect(parseMysqlDsn('root@/db')).toMatchObject({ user: 'root', host: '127.0.0.1', port: 3306 });
    expect(parseMysqlDsn('u:p@tcp(db)/x')).toMatchObject({ host: 'db', port: 3306 });
    expect(parseMysqlDsn('u:p@tcp([::1]:3307)/x')).toMatchObject({ host: '::1', port: 3307 });
    expect(parseMysqlDsn('u:p@/')).toMatchObject({ database: '' });
  });

  it('parseMysqlDsn - the last @ ends the credentials and the first : splits them', () => {
    expect(parseMysqlDsn('user:p@ss:w/rd@tcp(h:1)/db')).toMatchObject({ user: 'user', password: 'p@ss:w/rd', host: 'h', port: 1, database: 'db' });
  });

  it('parseMysqlDsn - reads unix sockets', () => {
    expect(parseMysqlDsn('u:p@unix(/var/run/mysqld/mysqld.sock)/db')).toMatchObject({
      net: 'unix',
      socketPath: '/var/run/mysqld/mysqld.sock',
      database: 'db',
    });
  });

  it('parseMysqlDsn - unescapes parameter values and reads mysql:// URLs', () => {
    expect(parseMysqlDsn('u:p@tcp(h:1)/db?time_zone=%27%2B00%3A00%27&loc=Local').params).toEqual({
      time_zone: "'+00:00'",
      loc: 'Local',
    });
    expect(parseMysqlDsn('mysql://e2rx:p%40ss@127.0.0.1:3306/e2rx?tls=false')).toEqual({
      user: 'e2rx',
      password: 'p@ss',
      net: 'tcp',
      host: '127.0.0.1',
      port: 3306,
      database: 'e2rx',
      params: { tls: 'false' },
    });
  });

  it('parseMysqlDsn - refuses what it cannot read, with E2RX_CONNECTION', () => {
    for (const dsn of ['no-slash', 'u:p@tcp(h:1/db', 'u:p@udp(h:1)/db', 'u:p@tcp(h:99999)/db', 'u@/db?novalue']) {
      expect(() => parseMysqlDsn(dsn), dsn).toThrow(E2rxError);
    }
  });

  it('mysqlPoolOptions - maps tls, timeout, charset, found rows and session variables', () => {
    const { pool, sessionVariables } = mysqlPoolOptions(
      parseMysqlDsn('u:p@tcp(h:3306)/db?tls=skip-verify&timeout=1m30s&charset=utf8mb4,utf8&parseTime=true&sql_mode=%27ANSI%27'),
    );
    expect(pool).toMatchObject({
      host: 'h',
      port: 3306,
      user: 'u',
      password: 'p',
      database: 'db',
      ssl: { rejectUnauthorized: false },
      connectTimeout: 90_000,
      charset: 'utf8mb4',
      flags: ['-FOUND_ROWS'],
      dateStrings: true,
      bigNumberStrings: true,
      supportBigNumbers: true,
      jsonStrings: true,
    });
    expect(sessionVariables).toEqual([
      ['time_zone', "'+00:00'"],
      ['sql_mode', "'ANSI'"],
    ]);
    expect(mysqlPoolOptions(parseMysqlDsn('u@/db?clientFoundRows=true')).pool.flags).toEqual(['FOUND_ROWS']);
    expect(mysqlPoolOptions(parseMysqlDsn('u@/db?tls=true')).pool.ssl).toEqual({ rejectUnauthorized: true });
    expect(() => mysqlPoolOptions(parseMysqlDsn('u@/db?tls=custom'))).toThrow(/custom TLS/);
    expect(() => mysqlPoolOptions(parseMysqlDsn('u@/db?timeout=soon'))).toThrow(/bad timeout/);
  });

  it('parsePostgresDsn - passes URLs to pg and names the server without credentials', () => {
    expect(parsePostgresDsn('postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx')).toEqual({
      config: { connectionString: 'postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx' },
      address: '127.0.0.1:5432/e2rx',
    });
    expect(parsePostgresDsn('postgres://u@db/app').address).toBe('db:5432/app');
  });

  it('parsePostgresDsn - converts a key=value DSN to a pg config', () => {
    expect(parsePostgresDsn("host=db port=5433 user=app password='s3 cr\\'t' dbname=shop sslmode=disable connect_timeout=5")).toEqual({
      config: {
        host: 'db',
        port: 5433,
        user: 'app',
        password: "s3 cr't",
        database: 'shop',
        connectionTimeoutMillis: 5000,
        ssl: false,
      },
      address: 'db:5433/shop',
    });
    expect(parsePostgresDsn('host = db  user=app sslmode=require').config).toMatchObject({ host: 'db', user: 'app', ssl: { rejectUnauthorized: false } });
    expect(parsePostgresDsn('password=a\\ b user=x').config.password).toBe('a b');
    expect(parsePostgresDsn('user=x sslmode=verify-full').config.ssl).toEqual({ rejectUnauthorized: true });
  });

  it('parsePostgresDsn - refuses what it cannot read, with E2RX_CONNECTION', () => {
    for (const dsn of ['host', "password='open", 'port=abc', 'sslmode=sometimes', '=x']) {
      expect(() => parsePostgresDsn(dsn), dsn).toThrow(E2rxError);
    }
  });

  it('parseRedisAddress - reads host:port and redis:// URLs', () => {
    expect(parseRedisAddress('127.0.0.1:6379')).toEqual({ host: '127.0.0.1', port: 6379, tls: false, db: 0 });
    expect(parseRedisAddress('cache')).toEqual({ host: 'cache', port: 6379, tls: false, db: 0 });
    expect(parseRedisAddress('[::1]:6380')).toEqual({ host: '::1', port: 6380, tls: false, db: 0 });
    expect(parseRedisAddress('rediss://user:p%40w@cache.example.com:6380/2')).toEqual({
      host: 'cache.example.com',
      port: 6380,
      tls: true,
      db: 2,
      username: 'user',
      password: 'p@w',
    });
    for (const bad of ['', 'http://x', 'a:b:c', 'redis://h/x']) expect(() => parseRedisAddress(bad), bad).toThrow(E2rxError);
  });

  it('redisRetryDelay - backs off exponentially up to 5 s, with jitter', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => redisRetryDelay(attempt, () => 0))).toEqual([100, 200, 400, 800, 5000]);
    expect(redisRetryDelay(10, () => 0.5)).toBe(4_500);
  });
});
