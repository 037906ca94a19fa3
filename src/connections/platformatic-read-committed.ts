/**
 * read_committed on @platformatic/kafka 1.x, made safe. Its fetch filter (`#filterUncommittedMessages`) assumes that
 * every abort marker in a fetch response has its transaction in the response's `abortedTransactions`, and throws
 * `TypeError: Cannot set properties of undefined` from a socket callback when one does not (a fetch that starts
 * between an aborted transaction's records and its marker): an uncaught exception that ends the process. It also
 * keeps one range per producer, so two aborted transactions of one producer in a fetch let the first one's records
 * through. Upstream: platformatic/kafka#391, fixed in 2.x, which needs Node 22.
 *
 * {@link guardReadCommitted} wraps the client's Fetch call and filters each response first, as the Java consumer
 * does, plus one rule: a transactional batch whose producer's next marker in the response is an abort is aborted.
 * An aborted batch is kept with no records (the client's stream takes its next fetch offset from the last batch, so a
 * fetch of nothing but aborted batches still moves on), and `abortedTransactions` is emptied, so the client's own
 * filter has nothing to do. Control batches stay: the client's stream skips them and advances past them.
 *
 * @module
 */

/** Record batch attribute bits (the Kafka protocol's). */
const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
/** The description of the client's symbol-keyed `getApi` method (clients/base/base.js). */
const GET_API = 'plt.kafka.base.getApi';

/** The fields of a fetched record batch that the filter reads. */
export interface FetchedBatch {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
  readonly attributes: number;
  readonly records: ReadonlyArray<{ readonly key?: Uint8Array | null | undefined }>;
}

/** The fields of a fetched partition that the filter reads and rewrites. */
export interface FetchedPartition {
  records?: FetchedBatch[] | null | undefined;
  abortedTransactions: ReadonlyArray<{ readonly producerId: bigint; readonly firstOffset: bigint }>;
}

/** A Fetch response, as far as the filter reads it. */
export interface FetchedResponse {
  readonly responses: ReadonlyArray<{ readonly partitions: FetchedPartition[] }>;
}

type Callback = (error: unknown, value?: unknown) => void;
type GetApi = (name: string, callback: Callback) => void;

/**
 * Filters aborted transactional batches out of a Fetch response read with read_committed (see the module comment).
 *
 * @example
 * ```ts
 * dropAborted(response); // then the client's own filter finds no aborted transactions left
 * ```
 */
export function dropAborted(response: FetchedResponse): void {
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      const batches = partition.records;
      if (!batches || batches.length === 0) continue;
      // The first offsets of the aborted transactions the broker listed, by producer, in order.
      const listed = new Map<bigint, bigint[]>();
      for (const { producerId, firstOffset } of partition.abortedTransactions) {
        const offsets = listed.get(producerId) ?? [];
        offsets.push(firstOffset);
        listed.set(producerId, offsets);
      }
      for (const offsets of listed.values()) offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      // Walking back: the kind of each producer's next marker after a batch (true: abort).
      const nextMarkerAborts = new Map<bigint, boolean>();
      const aborted = new Array<boolean | undefined>(batches.length).fill(false);
      for (let i = batches.length - 1; i >= 0; i -= 1) {
        const batch = batches[i] as FetchedBatch;
        if (batch.attributes & IS_CONTROL) nextMarkerAborts.set(batch.producerId, isAbortMarker(batch));
        else if (batch.attributes & IS_TRANSACTIONAL) aborted[i] = nextMarkerAborts.get(batch.producerId);
      }
      // Walking on: a batch whose marker is not in this response is aborted when the broker listed an aborted
      // transaction of its producer that began after the producer's last marker and at or before it (the Java rule).
      const lastMarker = new Map<bigint, bigint>();
      for (let i = 0; i < batches.length; i += 1) {
        const batch = batches[i] as FetchedBatch;
        if (batch.attributes & IS_CONTROL) lastMarker.set(batch.producerId, batch.firstOffset);
        else if (aborted[i] === undefined) {
          const after = lastMarker.get(batch.producerId) ?? -1n;
          aborted[i] = listed.get(batch.producerId)?.some((first) => first > after && first <= batch.firstOffset) ?? false;
        }
      }
      // An aborted batch stays, emptied: the client's stream takes the next fetch offset from the last batch.
      if (aborted.includes(true)) partition.records = batches.map((batch, i) => (aborted[i] ? { ...batch, records: [] } : batch));
      partition.abortedTransactions = [];
    }
  }
}

/** A control batch whose record is an abort marker (key: version int16, type int16 with 0 = abort). */
function isAbortMarker(batch: FetchedBatch): boolean {
  const key = batch.records[0]?.key;
  if (!key || key.length < 4) return false;
  return ((key[2] as number) << 8 | (key[3] as number)) === 0;
}

/**
 * Makes a @platformatic/kafka client's read_committed fetches safe (see the module comment): its Fetch call filters
 * each response with {@link dropAborted} before the client sees it. A client without the expected internals is left
 * as it is (a later version that fixed it upstream).
 *
 * @example
 * ```ts
 * const consumer = guardReadCommitted(new Consumer({ groupId, bootstrapBrokers, isolationLevel: FetchIsolationLevels.READ_COMMITTED }));
 * ```
 */
export function guardReadCommitted<T extends object>(client: T): T {
  const symbol = findSymbol(client, GET_API);
  if (symbol === undefined) return client;
  const target = client as unknown as Record<symbol, GetApi>;
  const getApi = target[symbol];
  if (typeof getApi !== 'function') return client;
  const original = getApi.bind(client);
  target[symbol] = (name, callback) => {
    if (name !== 'Fetch') {
      original(name, callback);
      return;
    }
    original(name, (error, api) => {
      if (error || typeof api !== 'function') {
        callback(error, api);
        return;
      }
      const fetch = api as (...args: unknown[]) => void;
      callback(error, (...args: unknown[]) => {
        const done = args.pop() as Callback;
        fetch(...args, (fetchError: unknown, response: unknown) => {
          if (!fetchError && response !== undefined) dropAborted(response as FetchedResponse);
          done(fetchError, response);
        });
      });
    });
  };
  return client;
}

function findSymbol(client: object, description: string): symbol | undefined {
  for (let proto: object | null = client; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const found = Object.getOwnPropertySymbols(proto).find((symbol) => symbol.description === description);
    if (found !== undefined) return found;
  }
  return undefined;
}
