import { describe, expect, it } from 'vitest';
import { inferQueryType, inferVarCount, QUERY_TYPES } from '../../src/directive/queries.js';

describe('inferQueryType', () => {
  it.each([
    ['SELECT * FROM users', 'select'],
    ['select * from users', 'select'],
    ['INSERT INTO users VALUES ($1)', 'insert'],
    ['insert into users values ($1)', 'insert'],
    ['UPDATE users SET name = $1', 'update'],
    ['update users set name = $1', 'update'],
    ['DELETE FROM users WHERE id = $1', 'delete'],
    ['delete from users where id = $1', 'delete'],
  ] as const)('inferQueryType - reads %j as %s', (query, type) => {
    expect(inferQueryType(query)).toBe(type);
  });

  it('inferQueryType - recognises only all-lower or all-upper words', () => {
    expect(inferQueryType('Select * FROM users')).toBeUndefined();
    expect(inferQueryType('sELECT * FROM users')).toBeUndefined();
    expect(inferQueryType('Insert INTO users VALUES (?)')).toBeUndefined();
  });

  it('inferQueryType - looks only at position 0: leading whitespace or a comment fails', () => {
    expect(inferQueryType(' SELECT * FROM users')).toBeUndefined();
    expect(inferQueryType('\nSELECT * FROM users')).toBeUndefined();
    expect(inferQueryType('-- users\nSELECT * FROM users')).toBeUndefined();
    expect(inferQueryType('WITH x AS (SELECT 1) SELECT * FROM x')).toBeUndefined();
  });

  it('inferQueryType - matches a prefix, as the original does', () => {
    expect(inferQueryType('SELECTED')).toBe('select');
  });

  it('inferQueryType - gives undefined for an empty query', () => {
    expect(inferQueryType('')).toBeUndefined();
  });

  it('QUERY_TYPES - lists the four types', () => {
    expect(QUERY_TYPES).toEqual(['select', 'insert', 'update', 'delete']);
  });
});

describe('inferVarCount', () => {
  it('inferVarCount - counts $<digit> placeholders for PostgreSQL', () => {
    expect(inferVarCount('SELECT * FROM users WHERE uuid = $1', 'postgresql')).toBe(1);
    expect(inferVarCount('INSERT INTO users (a, b, c) VALUES ($1, $2, $3)', 'postgresql')).toBe(3);
    expect(inferVarCount('SELECT * FROM users', 'postgresql')).toBe(0);
  });

  it('inferVarCount - counts a reused PostgreSQL placeholder twice (quirk of the original)', () => {
    expect(inferVarCount('SELECT * FROM t WHERE a = $1 OR b = $1', 'postgresql')).toBe(2);
  });

  it('inferVarCount - counts $10 once, as a $<digit> match', () => {
    expect(inferVarCount('VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)', 'postgresql')).toBe(10);
  });

  it('inferVarCount - ignores ? for PostgreSQL and $1 for MySQL', () => {
    expect(inferVarCount('SELECT * FROM t WHERE a = ? AND b = ?', 'postgresql')).toBe(0);
    expect(inferVarCount('SELECT * FROM t WHERE a = $1', 'mysql')).toBe(0);
  });

  it('inferVarCount - counts the MySQL forms " ? ", "?,", "(?", "?)" and ",?"', () => {
    expect(inferVarCount('SELECT * FROM t WHERE a = ? LIMIT 1', 'mysql')).toBe(1);
    expect(inferVarCount('INSERT INTO t (a, b) VALUES (?, ?)', 'mysql')).toBe(2);
    expect(inferVarCount('INSERT INTO t (a, b, c) VALUES (?,?,?)', 'mysql')).toBe(3);
    expect(inferVarCount('SELECT * FROM t WHERE a IN (?)', 'mysql')).toBe(1);
    expect(inferVarCount('CALL p(1,?)', 'mysql')).toBe(1);
  });

  it('inferVarCount - misses a MySQL ? in no listed form, as the original', () => {
    expect(inferVarCount('SELECT * FROM t WHERE a = ?', 'mysql')).toBe(0);
    expect(inferVarCount('SELECT * FROM t WHERE a=?', 'mysql')).toBe(0);
  });
});
