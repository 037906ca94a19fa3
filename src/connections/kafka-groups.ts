/**
 * One consumer per consumer group. Several Kafka handlers of an app share one group by default (the identifier),
 * and a group's members must subscribe to the same topics: kafkajs's assigners hand the partitions of every topic of
 * the group to every member, so one consumer per handler would be given partitions it never reads. This wrapper
 * gives each handler a virtual consumer of its topic, all backed by one real consumer of the group's topics.
 *
 * Partitions of a topic whose handler has not started (or has stopped) are kept paused, so that their records stay
 * uncommitted for later; the few already fetched are kept and handed over when the handler starts.
 *
 * @module
 */
import type { Logger } from 'pino';
import type {
  KafkaCommit,
  KafkaConsumer,
  KafkaConsumerListener,
  KafkaConsumerOptions,
  KafkaDriver,
  KafkaPosition,
  KafkaRecord,
  KafkaTransactions,
  TopicPartition,
} from './kafka-driver.js';

/**
 * Wraps a driver so that consumers of the same group share one real consumer. `groups` maps each shared group to
 * every topic its handlers read; consumers of other groups pass through.
 *
 * @example
 * ```ts
 * const driver = shareConsumerGroups(createKafkajsDriver(address, { logger }), new Map([['shop', ['orders', 'refunds']]]));
 * fromKafkaTopic(driver, 'orders', { groupId: 'shop', gate });
 * fromKafkaTopic(driver, 'refunds', { groupId: 'shop', gate });
 * ```
 */
export function shareConsumerGroups(driver: KafkaDriver, groups: ReadonlyMap<string, readonly string[]>, logger?: Logger): KafkaDriver {
  const shared = new Map<string, SharedGroup>();
  return {
    get address() {
      return driver.address;
    },
    get healthy() {
      return driver.healthy;
    },
    connect: (options) => driver.connect(options),
    produce: (records) => driver.produce(records),
    close: () => driver.close(),
    consumer(options) {
      const topics = groups.get(options.groupId);
      if (!topics || topics.length < 2) return driver.consumer(options);
      let group = shared.get(options.groupId);
      if (!group) {
        group = new SharedGroup(driver, { ...options, topics: [...new Set([...topics, ...options.topics])] }, logger, () => shared.delete(options.groupId));
        shared.set(options.groupId, group);
      }
      return group.member(options.topics);
    },
  };
}

class SharedGroup {
  readonly real: KafkaConsumer;
  private started: Promise<void> | undefined;
  private readonly members = new Set<Member>();
  private assignment: TopicPartition[] = [];
  private generation = 0;
  private readonly pausedByGroup = new Set<string>();
  private readonly pausedByMember = new Set<string>();
  private readonly stash = new Map<string, KafkaRecord[]>();
  private stopping: Promise<void> | undefined;

  constructor(
    driver: KafkaDriver,
    private readonly options: KafkaConsumerOptions,
    private readonly logger: Logger | undefined,
    private readonly onStopped: () => void,
  ) {
    this.real = driver.consumer(options);
  }

  get healthy(): boolean {
    return this.real.healthy;
  }

  member(topics: readonly string[]): KafkaConsumer {
    const member = new Member(this, new Set(topics));
    return member;
  }

  ownerOf(topic: string): Member | undefined {
    for (const member of this.members) if (member.listener && member.topics.has(topic)) return member;
    return undefined;
  }

  async join(member: Member): Promise<void> {
    this.members.add(member);
    this.started ??= this.real.start({
      onRecord: (record) => {
        const owner = this.ownerOf(record.topic);
        if (owner?.listener) {
          owner.listener.onRecord(record);
          return;
        }
        const key = keyOf(record);
        const list = this.stash.get(key) ?? [];
        list.push(record);
        this.stash.set(key, list);
        this.pauseForGroup([record]);
      },
      onAssigned: (partitions) => {
        this.assignment = [...partitions];
        this.generation += 1;
        this.stash.clear();
        this.pausedByGroup.clear();
        this.pausedByMember.clear();
        const orphans = partitions.filter((tp) => !this.ownerOf(tp.topic));
        this.pauseForGroup(orphans);
        for (const owner of this.members) {
          if (!owner.listener) continue;
          owner.seen = this.generation;
          owner.listener.onAssigned(partitions.filter((tp) => owner.topics.has(tp.topic)));
        }
      },
      onRevoked: () => {
        this.stash.clear();
        for (const owner of this.members) owner.listener?.onRevoked();
      },
      onFatal: (error) => {
        for (const owner of this.members) owner.listener?.onFatal(error);
      },
    });
    await this.started;
    // Hand over what the group holds for this member's topics, then let them flow.
    const mine = this.assignment.filter((tp) => member.topics.has(tp.topic));
    if (member.seen !== this.generation && this.generation > 0) {
      member.seen = this.generation;
      member.listener?.onAssigned(mine);
    }
    for (const tp of mine) {
      const held = this.stash.get(keyOf(tp)) ?? [];
      this.stash.delete(keyOf(tp));
      for (const record of held) member.listener?.onRecord(record);
    }
    this.resumeForGroup(mine);
  }

  pauseForGroup(partitions: readonly TopicPartition[]): void {
    const fresh = partitions.filter((tp) => !this.pausedByGroup.has(keyOf(tp)));
    for (const tp of fresh) this.pausedByGroup.add(keyOf(tp));
    this.real.pause(fresh);
  }

  resumeForGroup(partitions: readonly TopicPartition[]): void {
    const freed = partitions.filter((tp) => this.pausedByGroup.delete(keyOf(tp)) && !this.pausedByMember.has(keyOf(tp)));
    this.real.resume(freed);
  }

  pauseForMember(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.pausedByMember.add(keyOf(tp));
    this.real.pause(partitions);
  }

  resumeForMember(partitions: readonly TopicPartition[]): void {
    const freed = partitions.filter((tp) => {
      this.pausedByMember.delete(keyOf(tp));
      return !this.pausedByGroup.has(keyOf(tp));
    });
    this.real.resume(freed);
  }

  commit(commits: readonly KafkaCommit[]): Promise<void> {
    return this.real.commit(commits);
  }

  async leave(member: Member): Promise<void> {
    this.members.delete(member);
    this.pauseForGroup(this.assignment.filter((tp) => member.topics.has(tp.topic)));
    if (this.members.size > 0) return;
    this.stopping ??= this.real.stop().finally(() => this.onStopped());
    await this.stopping;
    this.logger?.debug({ groupId: this.options.groupId }, 'shared Kafka consumer stopped');
  }
}

class Member implements KafkaConsumer {
  listener: KafkaConsumerListener | undefined;
  /** The group generation whose assignment this member was given. */
  seen = 0;
  private left = false;

  constructor(
    private readonly group: SharedGroup,
    readonly topics: ReadonlySet<string>,
  ) {}

  get healthy(): boolean {
    return !this.left && this.group.healthy;
  }

  start(listener: KafkaConsumerListener): Promise<void> {
    this.listener = listener;
    return this.group.join(this);
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.group.pauseForMember(partitions.filter((tp) => this.topics.has(tp.topic)));
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.group.resumeForMember(partitions.filter((tp) => this.topics.has(tp.topic)));
  }

  commit(commits: readonly KafkaCommit[]): Promise<void> {
    return this.group.commit(commits.filter((commit) => this.topics.has(commit.topic)));
  }

  rewind(partitions: readonly TopicPartition[]): Promise<readonly KafkaPosition[]> {
    return this.group.real.rewind(partitions.filter((tp) => this.topics.has(tp.topic)));
  }

  transactional(transactionalId: string): KafkaTransactions {
    return this.group.real.transactional(transactionalId);
  }

  async stop(): Promise<void> {
    if (this.left) return;
    this.left = true;
    this.listener = undefined;
    await this.group.leave(this);
  }
}

function keyOf(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}
