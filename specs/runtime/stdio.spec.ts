import { describe, expect, it } from 'vitest';
import { LineBuffer, MAX_LINE_BYTES } from '../../src/runtime/stdio.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('stdio', () => {
  it('LineBuffer - emits whole lines and keeps the rest until flushed', () => {
    const lines: string[] = [];
    const buffer = new LineBuffer((line) => lines.push(line));
    buffer.write(bytes('hello\nwor'));
    expect(lines).toEqual(['hello']);
    buffer.write(bytes('ld\r\n\nlast'));
    expect(lines).toEqual(['hello', 'world', '']);
    buffer.flush();
    buffer.flush();
    expect(lines).toEqual(['hello', 'world', '', 'last']);
  });

  it('LineBuffer - emits an over-long line in pieces', () => {
    const lines: string[] = [];
    const buffer = new LineBuffer((line) => lines.push(line));
    buffer.write(new Uint8Array(MAX_LINE_BYTES + 10).fill(97));
    buffer.flush();
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE_BYTES, 10]);
  });

  it('LineBuffer - copies what it keeps', () => {
    const lines: string[] = [];
    const buffer = new LineBuffer((line) => lines.push(line));
    const chunk = bytes('abc');
    buffer.write(chunk);
    chunk.fill(120);
    buffer.flush();
    expect(lines).toEqual(['abc']);
  });
});
