import { describe, expect, it } from 'vitest';
import { fromByteString, goQuote, toByteString } from '../../src/directive/go-bytes.js';

describe('go-bytes', () => {
  it('toByteString - UTF-8 bytes one character each; plain ASCII is its own byte string', () => {
    expect(toByteString('é')).toBe('\u00c3\u00a9');
    expect(toByteString('plain/ascii?q=1')).toBe('plain/ascii?q=1');
  });

  it('fromByteString - the bytes of a byte string, lone bytes kept', () => {
    expect(fromByteString('\u00c3\u00a9')).toEqual(new TextEncoder().encode('é'));
    expect(fromByteString('%\u00c3')).toEqual(Uint8Array.from([0x25, 0xc3]));
  });

  it.each([
    ['a b', '"a b"'],
    ['tab\there\n', '"tab\\there\\n"'],
    ['quote"back\\', '"quote\\"back\\\\"'],
    ['\u0000\u007f', '"\\x00\\x7f"'],
    ['\u00c3\u00a9', '"é"'],
    ['\u00c3', '"\\xc3"'],
    ['\u00c2\u0085', '"\\u0085"'],
  ])('goQuote - %j is quoted as Go quotes it: %s', (bytes, quoted) => {
    expect(goQuote(bytes)).toBe(quoted);
  });
});
