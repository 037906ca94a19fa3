import type {
  KafkaCommit,
  KafkaConsumer,
  KafkaConsumerListener,
  KafkaConsumerOptions,
  KafkaDriver,
  KafkaOutgoing,
  KafkaPosition,
  KafkaRecord,
  KafkaTransactions,
  TopicPartition,
} from '../../src/connections/kafka-driver.js';

/** A consumer of the fake driver: specs push records and assignments, and read pauses and commits. */
export class FakeConsumer implements KafkaConsumer {
  listener: KafkaConsumerListener | undefined;
  readonly paused = new Set<string>();
  readonly commits: KafkaCommit[][] = [];
  readonly calls: string[] = [];
  stopped = false;
  healthy = true;
  failCommits = false;

  constructor(readonly options: KafkaConsumerOptions) {}

  start(listener: KafkaConsumerListener): Promise<void> {
    this.listener = listener;
    return Promise.resolve();
  }
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      this.paused.add(`${tp.topic}:${tp.partition}`);
      this.calls.push(`pause ${tp.topic}:${tp.partition}`);
    }
  }
  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      this.paused.delete(`${tp.topic}:${tp.partition}`);
      this.calls.push(`resume ${tp.topic}:${tp.partition}`);
    }
  }
  commit(commits: readonly KafkaCommit[]): Promise<void> {
    if (this.failCommits) return Promise.reject(new Error('rebalancing'));
    this.commits.push([...commits]);
    return Promise.resolve();
  }
  /** The partitions of each rewind. */
  readonly rewinds: TopicPartition[][] = [];
  /** Where a rewind puts a partition (by partition number); else its last commit. */
  readonly positions = new Map<number, string>();
  /** The transactional producers made, by transactional id. */
  readonly transactions = new Map<string, FakeTransactions>();

  /** Rewinds to `positions` or what was committed (the specs deliver the records again themselves). */
  rewind(partitions: readonly TopicPartition[]): Promise<readonly KafkaPosition[]> {
    this.rewinds.push([...partitions]);
    return Promise.resolve(partitions.map((tp) => ({ ...tp, offset: this.positions.get(tp.partition) ?? this.committed(tp.topic, tp.partition) })));
  }
  transactional(transactionalId: string): KafkaTransactions {
    const made = new FakeTransactions(transactionalId);
    this.transactions.set(transactionalId, made);
    return made;
  }
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  /** The last committed offset of a partition. */
  committed(topic: string, partition: number): string | undefined {
    let last: string | undefined;
    for (const batch of this.commits) for (const commit of batch) if (commit.topic === topic && commit.partition === partition) last = commit.offset;
    return last;
  }

  /** Hands records over, as the client's fetch loop would. */
  deliver(...records: KafkaRecord[]): void {
    for (const one of records) this.listener?.onRecord(one);
  }
}

/** Transactions that record what they are given; `fail` makes the next commits reject. */
export class FakeTransactions implements KafkaTransactions {
  fences = 0;
  readonly committed: Array<{ readonly records: readonly KafkaOutgoing[]; readonly offsets: readonly KafkaCommit[] }> = [];
  fail = false;

  constructor(readonly transactionalId: string) {}

  fence(): Promise<void> {
    this.fences += 1;
    return Promise.resolve();
  }
  commit(records: readonly KafkaOutgoing[], offsets: readonly KafkaCommit[]): Promise<void> {
    if (this.fail) return Promise.reject(new Error('transaction aborted'));
    this.committed.push({ records: [...records], offsets: [...offsets] });
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A driver whose consumers are {@link FakeConsumer}s and whose producer records what it is given. */
export class FakeKafkaDriver implements KafkaDriver {
  readonly address = 'fake:9092';
  readonly consumers: FakeConsumer[] = [];
  readonly produced: KafkaOutgoing[] = [];
  /** Every call of `produce`, failed or not, with its records. */
  readonly produceCalls: KafkaOutgoing[][] = [];
  healthy = true;
  failProduce: ((record: KafkaOutgoing) => boolean) | undefined;
  /** When set, produces wait here until a spec settles them. */
  holdProduces = false;
  readonly held: Array<{ readonly records: readonly KafkaOutgoing[]; resolve(): void; reject(error: Error): void }> = [];

  async connect(): Promise<void> {}
  produce(records: readonly KafkaOutgoing[]): Promise<void> {
    this.produceCalls.push([...records]);
    for (const one of records) if (this.failProduce?.(one)) return Promise.reject(new Error(`cannot produce to ${one.topic}`));
    if (this.holdProduces) {
      return new Promise<void>((resolve, reject) => {
        this.held.push({
          records,
          resolve: () => {
            this.produced.push(...records);
            resolve();
          },
          reject,
        });
      });
    }
    this.produced.push(...records);
    return Promise.resolve();
  }
  consumer(options: KafkaConsumerOptions): KafkaConsumer {
    const consumer = new FakeConsumer(options);
    this.consumers.push(consumer);
    return consumer;
  }
  async close(): Promise<void> {}
}

/** A record for specs. */
export function record(topic: string, partition: number, offset: number, value: string, extra: Partial<KafkaRecord> = {}): KafkaRecord {
  return {
    topic,
    partition,
    offset: String(offset),
    key: null,
    value: new TextEncoder().encode(value),
    headers: [],
    timestamp: '0',
    ...extra,
  };
}
