import { describe, expect, it } from 'vitest';
import { mysqlValue } from '../../src/connections/sql/mysql.js';
import { postgresValue } from '../../src/connections/sql/postgres.js';
import { decimalValue, encodeSqlResult, floatValue, insertIdFrom, integerValue, rfc3339 } from '../../src/connections/sql/shared.js';

describe('sql-values', () => {
  it('integerValue - numbers when safe, strings beyond 2^53', () => {
    expect(integerValue('42')).toBe(42);
    expect(integerValue('-7')).toBe(-7);
    expect(integerValue('9007199254740991')).toBe(9007199254740991);
    expect(integerValue('9007199254740993')).toBe('9007199254740993');
  });

  it('decimalValue - numbers when exact, text otherwise', () => {
    expect(decimalValue('12.50')).toBe(12.5);
    expect(decimalValue('0.00')).toBe(0);
    expect(decimalValue('-0.5')).toBe(-0.5);
    expect(decimalValue('100')).toBe(100);
    expect(decimalValue('12345678901234567890.123')).toBe('12345678901234567890.123');
    expect(decimalValue('NaN')).toBe('NaN');
  });

  it('floatValue - JSON cannot hold NaN or the infinities', () => {
    expect(floatValue('1.5')).toBe(1.5);
    expect(floatValue('Infinity')).toBe('Infinity');
    expect(floatValue('NaN')).toBe('NaN');
  });

  it('rfc3339 - dates and date-times from either database', () => {
    expect(rfc3339('2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05Z');
    expect(rfc3339('2024-01-02 03:04:05.123456')).toBe('2024-01-02T03:04:05.123456Z');
    expect(rfc3339('2024-01-02 03:04:05+00')).toBe('2024-01-02T03:04:05Z');
    expect(rfc3339('2024-01-02 03:04:05.5+02')).toBe('2024-01-02T03:04:05.5+02:00');
    expect(rfc3339('2024-01-02 03:04:05-05:30')).toBe('2024-01-02T03:04:05-05:30');
    expect(rfc3339('2024-01-02')).toBe('2024-01-02T00:00:00Z');
    expect(rfc3339('1890-01-01 00:00:00+00:53:28')).toBe('1889-12-31T23:06:32.000Z');
    expect(rfc3339('infinity')).toBe('infinity');
    expect(rfc3339('0000-00-00 00:00:00')).toBe('0000-00-00 00:00:00');
  });

  it('postgresValue - converts the text form by type oid', () => {
    expect(postgresValue(null, 25)).toBeNull();
    expect(postgresValue('hello', 25)).toBe('hello');
    expect(postgresValue('t', 16)).toBe(true);
    expect(postgresValue('f', 16)).toBe(false);
    expect(postgresValue('12', 23)).toBe(12);
    expect(postgresValue('9223372036854775807', 20)).toBe('9223372036854775807');
    expect(postgresValue('3.25', 701)).toBe(3.25);
    expect(postgresValue('10.10', 1700)).toBe(10.1);
    expect(postgresValue('\\x48656c6c6f', 17)).toBe('SGVsbG8=');
    expect(postgresValue('a\\\\b\\001', 17)).toBe(Buffer.from([0x61, 0x5c, 0x62, 0x01]).toString('base64'));
    expect(postgresValue('2024-01-02 03:04:05.123+00', 1184)).toBe('2024-01-02T03:04:05.123Z');
    expect(postgresValue('2024-01-02', 1082)).toBe('2024-01-02T00:00:00Z');
    expect(postgresValue('{"a": 1}', 3802)).toBe('{"a": 1}');
    expect(postgresValue('6a1c7b0e-6c47-4f55-9d84-5d6bd2b6b7e4', 2950)).toBe('6a1c7b0e-6c47-4f55-9d84-5d6bd2b6b7e4');
  });

  it('mysqlValue - text as strings, binary as base64, dates as RFC 3339, big integers safely', () => {
    expect(mysqlValue(null, { columnType: 253 })).toBeNull();
    expect(mysqlValue('héllo', { columnType: 253, characterSet: 224 })).toBe('héllo');
    expect(mysqlValue(Buffer.from('text'), { columnType: 252, characterSet: 224 })).toBe('text');
    expect(mysqlValue(Buffer.from('hi'), { columnType: 252, characterSet: 63 })).toBe('aGk=');
    expect(mysqlValue('2024-01-02 03:04:05', { columnType: 12 })).toBe('2024-01-02T03:04:05Z');
    expect(mysqlValue('2024-01-02', { columnType: 10 })).toBe('2024-01-02T00:00:00Z');
    expect(mysqlValue('42', { columnType: 8 })).toBe(42);
    expect(mysqlValue('18446744073709551615', { columnType: 8 })).toBe('18446744073709551615');
    expect(mysqlValue('9.99', { columnType: 246 })).toBe(9.99);
    expect(mysqlValue(7, { columnType: 3 })).toBe(7);
    expect(mysqlValue('{"a":1}', { columnType: 245 })).toBe('{"a":1}');
  });

  it('insertIdFrom - integers (as text, number or bigint), else 0', () => {
    expect(insertIdFrom('12')).toBe(12);
    expect(insertIdFrom(12)).toBe(12);
    expect(insertIdFrom('9223372036854775807')).toBe(9223372036854775807n);
    expect(insertIdFrom('a1')).toBe(0);
    expect(insertIdFrom(null)).toBe(0);
  });

  it('encodeSqlResult - the original shapes, with every digit of a 64-bit id', () => {
    expect(encodeSqlResult({ kind: 'rows', rows: [{ id: 1, name: 'a' }] })).toBe('[{"id":1,"name":"a"}]');
    expect(encodeSqlResult({ kind: 'rows', rows: [] })).toBe('[]');
    expect(encodeSqlResult({ kind: 'write', lastInsertId: 9223372036854775807n, rowsAffected: 1 })).toBe(
      '{"lastInsertID":9223372036854775807,"rowsAffected":1}',
    );
    expect(encodeSqlResult({ kind: 'write', lastInsertId: 0, rowsAffected: 3 })).toBe('{"lastInsertID":0,"rowsAffected":3}');
  });
});
