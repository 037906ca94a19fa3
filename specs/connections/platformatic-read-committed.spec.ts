import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { dropAborted, guardReadCommitted, type FetchedBatch, type FetchedPartition } from '../../src/connections/platformatic-read-committed.js';

const TRANSACTIONAL = 1 << 4;
const CONTROL = 1 << 5;

const data = (producerId: number, firstOffset: number, transactional = true): FetchedBatch => ({
  producerId: BigInt(producerId),
  firstOffset: BigInt(firstOffset),
  attributes: transactional ? TRANSACTIONAL : 0,
  records: [{ key: null }],
});
const marker = (producerId: number, offset: number, kind: 'abort' | 'commit'): FetchedBatch => ({
  producerId: BigInt(producerId),
  firstOffset: BigInt(offset),
  attributes: TRANSACTIONAL | CONTROL,
  records: [{ key: new Uint8Array([0, 0, 0, kind === 'abort' ? 0 : 1]) }],
});

/** The offsets of the batches that still carry records after the filter (control batches included). */
function kept(records: FetchedBatch[], abortedTransactions: FetchedPartition['abortedTransactions'] = []): number[] {
  const partition: FetchedPartition = { records, abortedTransactions };
  dropAborted({ responses: [{ partitions: [partition] }] });
  expect(partition.abortedTransactions).toEqual([]);
  return (partition.records ?? []).filter((batch) => batch.records.length > 0).map((batch) => Number(batch.firstOffset));
}

describe('dropAborted', () => {
  it('dropAborted - a fetch that starts inside an aborted transaction (its marker here, the transaction not listed) drops its records instead of throwing', () => {
    expect(kept([data(7, 10), data(7, 11), marker(7, 12, 'abort'), data(8, 13, false)])).toEqual([12, 13]);
  });

  it('dropAborted - two aborted transactions of one producer in one fetch are both dropped; its committed one between them is kept', () => {
    const records = [data(7, 0), marker(7, 1, 'abort'), data(7, 2), marker(7, 3, 'commit'), data(7, 4), marker(7, 5, 'abort')];
    expect(kept(records, [{ producerId: 7n, firstOffset: 0n }, { producerId: 7n, firstOffset: 4n }])).toEqual([1, 2, 3, 5]);
  });

  it('dropAborted - records past the last marker follow the broker list: from a listed first offset on they are aborted', () => {
    expect(kept([data(7, 20), data(7, 21)], [{ producerId: 7n, firstOffset: 21n }])).toEqual([20]);
    expect(kept([data(7, 20), data(9, 21)], [{ producerId: 7n, firstOffset: 30n }])).toEqual([20, 21]);
  });

  it("dropAborted - a producer's next transaction after its abort marker is not taken for the aborted one when its own marker is past the response", () => {
    expect(kept([data(7, 0), marker(7, 1, 'abort'), data(7, 2)], [{ producerId: 7n, firstOffset: 0n }])).toEqual([1, 2]);
    expect(kept([data(7, 0), marker(7, 1, 'commit'), data(7, 2)], [{ producerId: 7n, firstOffset: 2n }])).toEqual([0, 1]);
  });

  it('dropAborted - non-transactional records and other producers are untouched; an aborted batch stays, emptied, so the stream moves past it', () => {
    const records = [data(1, 0, false), data(2, 1), marker(2, 2, 'abort')];
    const partition: FetchedPartition = { records, abortedTransactions: [{ producerId: 2n, firstOffset: 1n }] };
    dropAborted({ responses: [{ partitions: [partition] }] });
    expect(partition.records?.map((batch) => [Number(batch.firstOffset), batch.records.length])).toEqual([
      [0, 1],
      [1, 0],
      [2, 1],
    ]);
  });
});

describe('guardReadCommitted', () => {
  it("guardReadCommitted - finds the @platformatic/kafka client's Fetch hook and wraps it on the instance only", async () => {
    const consumer = new Consumer({ clientId: 'spec', groupId: 'spec-guard', bootstrapBrokers: ['127.0.0.1:1'], isolationLevel: FetchIsolationLevels.READ_COMMITTED });
    const own = (): symbol[] => Object.getOwnPropertySymbols(consumer).filter((symbol) => symbol.description === 'plt.kafka.base.getApi');
    expect(own()).toEqual([]);
    expect(guardReadCommitted(consumer)).toBe(consumer);
    expect(own()).toHaveLength(1);
    await consumer.close();
  });
});
