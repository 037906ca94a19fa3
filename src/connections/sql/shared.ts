/**
 * Helpers shared by the PostgreSQL and MySQL clients: value conversions to JSON, result encoding, connection errors.
 *
 * @module
 */

import { E2rxError, errorMessage } from '../../errors.js';
import type { NamedQuery } from '../../directive/capability-config.js';

/** The outcome of preparing one named query at start-up. */
export interface QueryCheck {
  readonly name: string;
  /** The driver's error when the query could not be prepared (syntax, unknown table, ...). */
  readonly error?: string;
}

/**
 * A pool of connections to one SQL database that runs named queries.
 *
 * Connections are opened lazily; {@link SqlClient.connect} checks the server up front. Errors that mean the server
 * cannot be reached reject with {@link E2rxError} `E2RX_CONNECTION` (retriable) naming the server; query errors
 * reject with the driver's error.
 */
export interface SqlClient {
  /** Which database this is. */
  readonly kind: 'postgresql' | 'mysql';
  /** The server, for messages: `PostgreSQL at host:port/db`, never credentials. */
  readonly server: string;
  /** Opens one connection to check that the server answers; rejects with `E2RX_CONNECTION` naming it. */
  connect(): Promise<void>;
  /** Prepares each query once to surface SQL errors at start-up; never rejects for a bad query. */
  prepare(queries: readonly NamedQuery[]): Promise<readonly QueryCheck[]>;
  /**
   * Runs a named query with positional string variables. A `select` gives rows; the other types give the id of the
   * inserted row (MySQL's `LAST_INSERT_ID`, or the first column of a PostgreSQL `RETURNING` row, else 0) and the
   * number of affected rows.
   */
  exec(query: NamedQuery, vars: readonly string[]): Promise<SqlExecResult>;
  /** Whether a trivial query succeeds now. */
  health(): Promise<boolean>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** A JSON value, as a select row's column may hold. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** One row of a select: column name → value (a later column of the same name wins, as in the original's map). */
export type SqlRow = Readonly<Record<string, JsonValue>>;

/** What a query produced: rows for a select, counts for the others. */
export type SqlExecResult =
  | { readonly kind: 'rows'; readonly rows: readonly SqlRow[] }
  | { readonly kind: 'write'; readonly lastInsertId: bigint | number; readonly rowsAffected: number };

/**
 * An integer given as text, as a JSON-safe value: a number when it is a safe integer, the text otherwise.
 *
 * @example
 * ```ts
 * integerValue('42'); // 42
 * integerValue('9007199254740993'); // '9007199254740993'
 * ```
 */
export function integerValue(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) && /^-?\d+$/.test(text.trim()) ? value : text;
}

/**
 * A decimal given as text (NUMERIC, DECIMAL), as a JSON number when the number prints back to the same decimal
 * (no precision lost), else the text.
 *
 * @example
 * ```ts
 * decimalValue('12.50'); // 12.5
 * decimalValue('12345678901234567890.123'); // '12345678901234567890.123'
 * ```
 */
export function decimalValue(text: string): number | string {
  const match = /^(-?)0*(\d*?)(?:\.(\d*?)0*)?$/.exec(text.trim());
  const value = Number(text);
  if (match === null || !Number.isFinite(value)) return text;
  const [, sign = '', whole = '', fraction = ''] = match;
  const canonical = `${sign}${whole === '' ? '0' : whole}${fraction === '' ? '' : `.${fraction}`}`;
  const normalised = canonical === '-0' ? '0' : canonical;
  return String(value) === normalised ? value : text;
}

/**
 * A floating-point value given as text, as a JSON number; `NaN` and the infinities (which JSON cannot hold) stay text.
 *
 * @example
 * ```ts
 * floatValue('1.5'); // 1.5
 * floatValue('Infinity'); // 'Infinity'
 * ```
 */
export function floatValue(text: string): number | string {
  const value = Number(text);
  return Number.isFinite(value) && text.trim() !== '' ? value : text;
}

/**
 * A date or date-time as the database prints it, as RFC 3339. A date-time without an offset is taken as UTC (as the
 * original's drivers did); a bare date becomes midnight UTC. Anything unrecognised (`infinity`, BC dates, MySQL's
 * zero dates) is returned unchanged.
 *
 * @example
 * ```ts
 * rfc3339('2024-01-02 03:04:05.123456'); // '2024-01-02T03:04:05.123456Z'
 * rfc3339('2024-01-02 03:04:05+02'); // '2024-01-02T03:04:05+02:00'
 * rfc3339('2024-01-02'); // '2024-01-02T00:00:00Z'
 * ```
 */
export function rfc3339(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}(?::?\d{2})?(?::?\d{2})?|Z)?)?$/.exec(
    text.trim(),
  );
  if (match === null) return text;
  const [, date = '', time, fraction = '', offset] = match;
  if (date.startsWith('0000')) return text;
  if (time === undefined) return `${date}T00:00:00Z`;
  if (offset === undefined || offset === 'Z') return `${date}T${time}${fraction}Z`;
  const sign = offset[0];
  const digits = offset.slice(1).replaceAll(':', '');
  const hours = digits.slice(0, 2);
  const minutes = digits.slice(2, 4) || '00';
  const seconds = digits.slice(4, 6);
  if (seconds !== '' && seconds !== '00') {
    // RFC 3339 offsets have no seconds (historic local mean times): convert to UTC.
    const instant = Date.parse(`${date}T${time}${fraction.slice(0, 4)}Z`);
    const shift = (Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000 * (sign === '-' ? -1 : 1);
    return new Date(instant - shift).toISOString();
  }
  if (hours === '00' && minutes === '00') return `${date}T${time}${fraction}Z`;
  return `${date}T${time}${fraction}${sign}${hours}:${minutes}`;
}

/**
 * The JSON text of a query result, in the original's shapes: a select gives an array of row objects; an insert,
 * update or delete gives `{"lastInsertID":n,"rowsAffected":m}` (a 64-bit id is written with all its digits).
 *
 * @example
 * ```ts
 * encodeSqlResult({ kind: 'write', lastInsertId: 7n, rowsAffected: 1 }); // '{"lastInsertID":7,"rowsAffected":1}'
 * ```
 */
export function encodeSqlResult(result: SqlExecResult): string {
  if (result.kind === 'rows') return JSON.stringify(result.rows);
  return `{"lastInsertID":${String(result.lastInsertId)},"rowsAffected":${result.rowsAffected}}`;
}

/**
 * The id of an inserted row from a value given as text (a `RETURNING` column), or 0 when it is not an integer.
 *
 * @example
 * ```ts
 * insertIdFrom('12'); // 12
 * insertIdFrom('a1b2'); // 0
 * ```
 */
export function insertIdFrom(value: unknown): bigint | number {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : 0;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : BigInt(value);
  }
  return 0;
}

/** Error codes that mean the database could not be reached (rather than that a query failed). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
]);

/**
 * Whether an error from a driver means the server is unreachable (refused, reset, timed out, unknown host).
 *
 * @example
 * ```ts
 * isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })); // true
 * ```
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const message = errorMessage(error);
  if (/timeout exceeded when trying to connect|Connection terminated|connect ETIMEDOUT/i.test(message)) return true;
  const nested = (error as { errors?: unknown }).errors; // AggregateError of happy-eyeballs attempts
  return Array.isArray(nested) && nested.some((inner) => isConnectionFailure(inner));
}

/**
 * The error for a database that cannot be reached: {@link E2rxError} `E2RX_CONNECTION`, retriable, naming the
 * server (`PostgreSQL at 127.0.0.1:5432/app`), never the credentials.
 */
export function connectionFailure(server: string, error: unknown): E2rxError {
  const detail = errorMessage(error) || codeOf(error);
  return new E2rxError('E2RX_CONNECTION', `cannot connect to ${server}: ${detail}`, {
    cause: error,
    retriable: true,
    details: { server },
  });
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'unknown error';
}

/**
 * Prepares each query in turn with `prepare`, and reports each: a query the database refuses is reported with its
 * error, not thrown, so one bad query does not hide the others.
 */
export async function checkQueries(
  queries: readonly NamedQuery[],
  prepare: (query: NamedQuery, index: number) => Promise<void>,
): Promise<QueryCheck[]> {
  const checks: QueryCheck[] = [];
  for (const [index, query] of queries.entries()) {
    try {
      await prepare(query, index);
      checks.push({ name: query.name });
    } catch (error) {
      checks.push({ name: query.name, error: errorMessage(error) });
    }
  }
  return checks;
}
