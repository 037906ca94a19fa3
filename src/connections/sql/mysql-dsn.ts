/**
 * MySQL connection strings as the Go driver reads them (`user:pass@tcp(host:port)/db?params`), and the `mysql2`
 * pool settings they give.
 *
 * @module
 */
import type { PoolOptions } from 'mysql2/promise';
import { E2rxError } from '../../errors.js';

/** A parsed MySQL connection string. */
export interface MysqlDsn {
  readonly user: string;
  readonly password: string;
  /** `tcp` (host and port) or `unix` (socket path). */
  readonly net: 'tcp' | 'unix';
  readonly host: string;
  readonly port: number;
  /** The socket path, for `unix`. */
  readonly socketPath?: string;
  readonly database: string;
  /** The DSN parameters, unescaped (`parseTime`, `tls`, `timeout`, session variables, ...). */
  readonly params: Readonly<Record<string, string>>;
}

const invalidDsn = (why: string) =>
  new E2rxError('E2RX_CONNECTION', `invalid MySQL connection string: ${why}`, {
    hint: 'use user:password@tcp(host:3306)/database or mysql://user:password@host:3306/database',
  });

/** Unescapes a query value as Go's `url.QueryUnescape` does (`+` is a space). */
function queryUnescape(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw invalidDsn(`bad escape in "${text}"`);
  }
}

function parseParams(query: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 1) throw invalidDsn(`parameter "${pair}" has no value`);
    params[pair.slice(0, eq)] = queryUnescape(pair.slice(eq + 1));
  }
  return params;
}

/** Splits `host:port`, `[v6]:port`, `host` or `:port` with 3306 and 127.0.0.1 as defaults. */
function splitHostPort(address: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(address);
  const match = bracketed ?? /^([^:]*)(?::(\d*))?$/.exec(address);
  if (match === null) throw invalidDsn(`bad address "${address}"`);
  const host = match[1] || '127.0.0.1';
  const port = match[2] ? Number(match[2]) : 3306;
  if (!(port > 0 && port < 65536)) throw invalidDsn(`bad port in "${address}"`);
  return { host, port };
}

/**
 * Parses a MySQL connection string: the Go driver's DSN
 * `[user[:password]@][net[(address)]]/dbname[?param=value&...]` (the last `/` separates the database, the last `@`
 * the credentials, the first `:` the password; `net` is `tcp` (default, address `127.0.0.1:3306`) or `unix`), or a
 * `mysql://user:password@host:port/dbname?param=value` URL. Parameter values are URL-unescaped. Throws
 * {@link E2rxError} `E2RX_CONNECTION` when it cannot be read.
 *
 * @example
 * ```ts
 * parseMysqlDsn('app:s3cret@tcp(db.internal:3307)/shop?parseTime=true');
 * // { user: 'app', password: 's3cret', net: 'tcp', host: 'db.internal', port: 3307, database: 'shop', params: { parseTime: 'true' } }
 * ```
 */
export function parseMysqlDsn(dsn: string): MysqlDsn {
  const text = dsn.trim();
  if (/^mysql:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw invalidDsn('not a valid URL');
    }
    const { host, port } = splitHostPort(url.host);
    return {
      user: queryUnescape(url.username),
      password: queryUnescape(url.password),
      net: 'tcp',
      host,
      port,
      database: queryUnescape(url.pathname.replace(/^\//, '')),
      params: parseParams(url.search.replace(/^\?/, '')),
    };
  }
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw invalidDsn('missing the "/" before the database name');
  const left = text.slice(0, slash);
  const right = text.slice(slash + 1);
  const at = left.lastIndexOf('@');
  let user = '';
  let password = '';
  if (at >= 0) {
    const credentials = left.slice(0, at);
    const colon = credentials.indexOf(':');
    user = colon < 0 ? credentials : credentials.slice(0, colon);
    password = colon < 0 ? '' : credentials.slice(colon + 1);
  }
  const target = left.slice(at + 1);
  let net = target;
  let address = '';
  const paren = target.indexOf('(');
  if (paren >= 0) {
    if (!target.endsWith(')')) throw invalidDsn('the address must be in parentheses, as in tcp(host:3306)');
    net = target.slice(0, paren);
    address = target.slice(paren + 1, -1);
  }
  if (net === '') net = 'tcp';
  if (net !== 'tcp' && net !== 'unix') throw invalidDsn(`unsupported network "${net}"`);
  const question = right.indexOf('?');
  const database = queryUnescape(question < 0 ? right : right.slice(0, question));
  const params = question < 0 ? {} : parseParams(right.slice(question + 1));
  if (net === 'unix') {
    return { user, password, net, host: 'localhost', port: 3306, socketPath: address || '/tmp/mysql.sock', database, params };
  }
  const { host, port } = splitHostPort(address);
  return { user, password, net, host, port, database, params };
}

/** Go driver parameters that configure the driver itself (never session variables). */
const DRIVER_PARAMS = new Set([
  'allowAllFiles',
  'allowCleartextPasswords',
  'allowFallbackToPlaintext',
  'allowNativePasswords',
  'allowOldPasswords',
  'charset',
  'checkConnLiveness',
  'clientFoundRows',
  'collation',
  'columnsWithAlias',
  'connectionAttributes',
  'interpolateParams',
  'loc',
  'maxAllowedPacket',
  'multiStatements',
  'parseTime',
  'readTimeout',
  'rejectReadOnly',
  'serverPubKey',
  'timeTruncate',
  'timeout',
  'tls',
  'writeTimeout',
  // mysql:// URL conveniences
  'ssl',
]);

/** A Go duration (`5s`, `1m30s`, `500ms`) in milliseconds, or `undefined`. */
function goDurationMs(text: string): number | undefined {
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, , name] of text.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * (unit[name ?? 's'] ?? 0);
  }
  return Math.round(total);
}

/** The `mysql2` pool settings for a DSN, the session variables to set on each connection, and the options used. */
export interface MysqlConnectionSettings {
  readonly pool: PoolOptions;
  /** `SET` statements run on every new connection (time zone, and the DSN's system variables). */
  readonly sessionVariables: readonly (readonly [string, string])[];
}

/**
 * The `mysql2` settings for a parsed DSN: `tls` (`true`, `skip-verify`, `preferred`, `false`), `timeout` (a Go
 * duration), `charset` / `collation`, `clientFoundRows`; other Go driver parameters are accepted and ignored; any other
 * parameter is a session system variable set on every connection (as the Go driver did). The session time zone is
 * UTC unless the DSN sets `time_zone`.
 *
 * @example
 * ```ts
 * mysqlPoolOptions(parseMysqlDsn('u:p@tcp(127.0.0.1:3306)/db?tls=skip-verify')).pool.ssl; // { rejectUnauthorized: false }
 * ```
 */
export function mysqlPoolOptions(dsn: MysqlDsn): MysqlConnectionSettings {
  const { params } = dsn;
  const tls = params['tls'] ?? params['ssl'];
  let ssl: PoolOptions['ssl'];
  if (tls === 'true') ssl = { rejectUnauthorized: true };
  else if (tls === 'skip-verify' || tls === 'preferred') ssl = { rejectUnauthorized: false };
  else if (tls !== undefined && tls !== 'false') throw invalidDsn(`unsupported tls "${tls}" (custom TLS configs are not supported)`);
  const timeout = params['timeout'];
  const connectTimeout = timeout === undefined ? undefined : goDurationMs(timeout);
  if (timeout !== undefined && connectTimeout === undefined) throw invalidDsn(`bad timeout "${timeout}"`);
  const charset = params['collation'] ?? params['charset']?.split(',')[0];
  const foundRows = params['clientFoundRows'] === 'true';

  const sessionVariables: [string, string][] = [];
  if (params['time_zone'] === undefined) sessionVariables.push(['time_zone', "'+00:00'"]);
  for (const [name, value] of Object.entries(params)) {
    if (DRIVER_PARAMS.has(name)) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw invalidDsn(`bad parameter name "${name}"`);
    sessionVariables.push([name, value]);
  }
  const pool: PoolOptions = {
    user: dsn.user,
    password: dsn.password,
    database: dsn.database,
    ...(dsn.socketPath === undefined ? { host: dsn.host, port: dsn.port } : { socketPath: dsn.socketPath }),
    ...(ssl === undefined ? {} : { ssl }),
    ...(connectTimeout === undefined ? {} : { connectTimeout }),
    ...(charset === undefined ? {} : { charset }),
    // The Go driver reports changed rows unless clientFoundRows=true; mysql2 reports found rows by default.
    flags: foundRows ? ['FOUND_ROWS'] : ['-FOUND_ROWS'],
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    jsonStrings: true,
    decimalNumbers: false,
  };
  return { pool, sessionVariables };
}
