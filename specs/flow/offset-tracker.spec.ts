import { describe, expect, it } from 'vitest';
import { createOffsetTracker } from '../../src/flow/offset-tracker.js';

describe('createOffsetTracker', () => {
  it('createOffsetTracker - commits the highest contiguous completed offset + 1, whatever the completion order', () => {
    const offsets = createOffsetTracker();
    for (const offset of ['10', '11', '12', '13']) offsets.received(offset);
    offsets.completed('12');
    offsets.completed('11');
    expect(offsets.commitOffset).toBeUndefined();
    expect(offsets.pending).toBe(4);
    offsets.completed('10');
    expect(offsets.commitOffset).toBe('13');
    expect(offsets.pending).toBe(1);
    offsets.committed('13');
    expect(offsets.commitOffset).toBeUndefined();
    offsets.completed('13');
    expect(offsets.commitOffset).toBe('14');
  });

  it('createOffsetTracker - offsets with gaps (compaction, transaction markers) are contiguous in the order received', () => {
    const offsets = createOffsetTracker();
    offsets.received('3');
    offsets.received('7');
    offsets.completed('7');
    expect(offsets.commitOffset).toBeUndefined();
    offsets.completed('3');
    expect(offsets.commitOffset).toBe('8');
  });

  it('createOffsetTracker - 64-bit offsets, a second completion is ignored, offsets must increase', () => {
    const offsets = createOffsetTracker();
    offsets.received('9007199254740993');
    offsets.completed('9007199254740993');
    offsets.completed('9007199254740993');
    expect(offsets.commitOffset).toBe('9007199254740994');
    expect(() => offsets.received('5')).toThrow(RangeError);
  });

  it('createOffsetTracker - a commit of an older offset does not hide a newer one', () => {
    const offsets = createOffsetTracker();
    offsets.received('0');
    offsets.received('1');
    offsets.completed('0');
    const first = offsets.commitOffset;
    offsets.completed('1');
    offsets.committed(first as string);
    expect(offsets.commitOffset).toBe('2');
  });

  it('createOffsetTracker - many offsets stay cheap (the completed prefix is dropped)', () => {
    const offsets = createOffsetTracker();
    for (let offset = 0; offset < 10_000; offset += 1) {
      offsets.received(String(offset));
      offsets.completed(String(offset));
    }
    expect(offsets.pending).toBe(0);
    expect(offsets.commitOffset).toBe('10000');
  });
});
