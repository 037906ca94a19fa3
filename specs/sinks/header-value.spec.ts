import { describe, expect, it } from 'vitest';
import { wireHeaderValue } from '../../src/sinks/header-value.js';

const latin1OfUtf8 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

describe('wireHeaderValue', () => {
  it('wireHeaderValue - printable ASCII is returned as it is (the same string)', () => {
    const value = 'application/json; charset=utf-8';
    expect(wireHeaderValue(value)).toBe(value);
    expect(wireHeaderValue('')).toBe('');
    expect(wireHeaderValue('a\tb')).toBe('a\tb');
  });

  it.each([
    ['two\nlines', 'two lines'],
    ['a\r\nb', 'a  b'],
    ['\nlead', 'lead'],
    ['trail\r\n', 'trail'],
    ['  pad  ', 'pad'],
    ['\t', ''],
  ])('wireHeaderValue - %j is sent as %j (CR/LF folded, ends trimmed, as Go wrote it)', (value, expected) => {
    expect(wireHeaderValue(value)).toBe(expected);
  });

  it('wireHeaderValue - characters from U+0080 go out as their UTF-8 bytes', () => {
    expect(wireHeaderValue('日本')).toBe(latin1OfUtf8('日本'));
    expect(wireHeaderValue('café')).toBe(latin1OfUtf8('café'));
    expect(wireHeaderValue(' ü\n')).toBe(latin1OfUtf8('ü'));
  });

  it('wireHeaderValue - a control character other than tab drops the value', () => {
    for (const value of ['a\u0000b', '\u0001x', 'x\u007f', 'é\u001b']) expect(wireHeaderValue(value), JSON.stringify(value)).toBeUndefined();
  });
});
