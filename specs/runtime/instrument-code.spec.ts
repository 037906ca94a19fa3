import { describe, expect, it } from 'vitest';
import { checkSequence, originalOffset } from '../../src/runtime/instrument-code.js';

describe('instrument-code', () => {
  // Code at new offsets [10, 30) was at [4, 24); a check of 16 bytes was inserted at old offset 24; the rest follows it.
  const moved = Uint32Array.from([10, 4, 46, 24]);

  it('originalOffset - maps a new offset back by the last pair at or before it', () => {
    expect(originalOffset(moved, 10)).toBe(4);
    expect(originalOffset(moved, 29)).toBe(23);
    expect(originalOffset(moved, 46)).toBe(24);
    expect(originalOffset(moved, 50)).toBe(28);
  });

  it('originalOffset - an offset before the first pair, or an empty map, is left as it is', () => {
    expect(originalOffset(moved, 3)).toBe(3);
    expect(originalOffset(new Uint32Array(), 77)).toBe(77);
  });

  it('checkSequence - global.get, i32.const 1, i32.lt_s, if, call check, end, then fuel -= 1', () => {
    expect(checkSequence(2, 300)).toEqual([0x23, 2, 0x41, 1, 0x48, 0x04, 0x40, 0x10, 0xac, 0x02, 0x0b, 0x23, 2, 0x41, 1, 0x6b, 0x24, 2]);
  });
});
