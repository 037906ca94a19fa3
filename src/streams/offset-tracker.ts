/**
 * Which Kafka offset may be committed: a partition's offsets complete in any order, but the committed offset must
 * never pass one that has not completed (else a crash would lose it). The tracker keeps the offsets received, in
 * order, and gives the offset after the longest completed prefix: the highest contiguous completed offset + 1.
 *
 * "Contiguous" is in the order received, not by arithmetic: offsets of a compacted topic or of transaction markers
 * have gaps, and a received offset is the next one to wait for whatever its number.
 *
 * @module
 */

/** The offsets of one partition (one assignment of it: start a new tracker after a rebalance). */
export interface OffsetTracker {
  /** Offsets received and not completed. */
  readonly pending: number;
  /** The offset to commit now (the last contiguous completed + 1), or `undefined` when nothing new completed. */
  readonly commitOffset: string | undefined;
  /** Records an offset as received; offsets must be received in increasing order. */
  received(offset: string): void;
  /** Records a received offset as completed (done: published, dead-lettered or dropped on purpose). */
  completed(offset: string): void;
  /** Records that `offset` (a value of {@link commitOffset}) was committed. */
  committed(offset: string): void;
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
  const order: bigint[] = [];
  let head = 0;
  const done = new Set<bigint>();
  let lastReceived: bigint | undefined;
  let next: bigint | undefined;
  let committed: bigint | undefined;
  const advance = (): void => {
    while (head < order.length) {
      const offset = order[head] as bigint;
      if (!done.has(offset)) break;
      done.delete(offset);
      head += 1;
      next = offset + 1n;
    }
    if (head > 1024 && head * 2 > order.length) {
      order.splice(0, head);
      head = 0;
    }
  };
  return {
    get pending() {
      return order.length - head;
    },
    get commitOffset() {
      if (next === undefined || (committed !== undefined && next <= committed)) return undefined;
      return next.toString();
    },
    received(offset) {
      const value = BigInt(offset);
      if (lastReceived !== undefined && value <= lastReceived) {
        throw new RangeError(`offset ${offset} received after ${lastReceived.toString()}: offsets must increase`);
      }
      lastReceived = value;
      order.push(value);
    },
    completed(offset) {
      const value = BigInt(offset);
      if (next !== undefined && value < next) return; // already past it (a second completion)
      done.add(value);
      advance();
    },
    committed(offset) {
      const value = BigInt(offset);
      if (committed === undefined || value > committed) committed = value;
    },
  };
}
