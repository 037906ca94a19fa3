/**
 * Which Kafka offset may be committed: a partition's offsets complete in any order, but the committed offset must
 * never pass one that has not completed (else a crash would lose it). The tracker keeps the offsets received, in
 * order, and gives the offset after the longest completed prefix: the highest contiguous completed offset + 1.
 *
 * "Contiguous" is in the order received, not by arithmetic: offsets of a compacted topic or of transaction markers
 * have gaps, and a received offset is the next one to wait for whatever its number.
 *
 * The hot path does no 64-bit arithmetic: offsets stay decimal strings (compared by length, then text), a record is
 * completed by the position {@link OffsetTracker.received} returned, and the `+ 1` is computed only when a commit
 * asks for it.
 *
 * @module
 */

/** The offsets of one partition (one assignment of it: start a new tracker after a rebalance). */
export interface OffsetTracker {
  /** Offsets received and not completed. */
  readonly pending: number;
  /** The offset to commit now (the last contiguous completed + 1), or `undefined` when nothing new completed. */
  readonly commitOffset: string | undefined;
  /**
   * Records an offset as received and returns its position (for {@link completedAt}); offsets must be received in
   * increasing order (a `RangeError` otherwise).
   */
  received(offset: string): number;
  /** Records a received offset as completed (done: published, dead-lettered or dropped on purpose). */
  completed(offset: string): void;
  /** Records the offset received at `position` as completed (the cheap form of {@link completed}). */
  completedAt(position: number): void;
  /** Records that `offset` (a value of {@link commitOffset}) was committed. */
  committed(offset: string): void;
}

/** Compares two non-negative decimal offsets without leading zeros. */
function compareOffsets(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Creates the tracker of one partition.
 *
 * @example
 * ```ts
 * const offsets = createOffsetTracker();
 * offsets.received('10'); offsets.received('11'); offsets.received('12');
 * offsets.completed('11');
 * offsets.commitOffset; // undefined: 10 is still running
 * offsets.completed('10');
 * offsets.commitOffset; // '12': 10 and 11 are done, 12 is next
 * ```
 */
export function createOffsetTracker(): OffsetTracker {
  /** Offsets received and not yet part of the completed prefix: `order[head..]`; position p is `order[p - base]`. */
  let order: string[] = [];
  let done: boolean[] = [];
  let head = 0;
  /** The position of `order[0]`. */
  let base = 0;
  let lastReceived: string | undefined;
  /** The last offset of the completed prefix. */
  let lastDone: string | undefined;
  let committed: bigint | undefined;
  const advance = (): void => {
    while (head < order.length && done[head] === true) {
      lastDone = order[head];
      head += 1;
    }
    if (head > 1024 && head * 2 > order.length) {
      order = order.slice(head);
      done = done.slice(head);
      base += head;
      head = 0;
    }
  };
  const completeIndex = (index: number): void => {
    if (index < head || index >= order.length) return; // already in the completed prefix, or unknown
    done[index] = true;
    if (index === head) advance();
  };
  return {
    get pending() {
      return order.length - head;
    },
    get commitOffset() {
      if (lastDone === undefined) return undefined;
      const next = BigInt(lastDone) + 1n;
      if (committed !== undefined && next <= committed) return undefined;
      return next.toString();
    },
    received(offset) {
      if (lastReceived !== undefined && compareOffsets(offset, lastReceived) <= 0) {
        throw new RangeError(`offset ${offset} received after ${lastReceived}: offsets must increase`);
      }
      lastReceived = offset;
      order.push(offset);
      done.push(false);
      return base + order.length - 1;
    },
    completed(offset) {
      // Binary search among the offsets not yet in the completed prefix (they increase).
      let low = head;
      let high = order.length - 1;
      while (low <= high) {
        const middle = (low + high) >>> 1;
        const compared = compareOffsets(order[middle] as string, offset);
        if (compared === 0) {
          completeIndex(middle);
          return;
        }
        if (compared < 0) low = middle + 1;
        else high = middle - 1;
      }
    },
    completedAt(position) {
      completeIndex(position - base);
    },
    committed(offset) {
      const value = BigInt(offset);
      if (committed === undefined || value > committed) committed = value;
    },
  };
}
