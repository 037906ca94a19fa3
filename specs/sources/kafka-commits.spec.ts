/**
 * The commit cadence of a Kafka source (src/sources/kafka-commits.ts), in virtual time: its timer runs on the
 * scheduler it is given.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CommitCadence, type PendingCommit } from '../../src/sources/kafka-commits.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function cadenceOn(scheduler: VirtualTimeScheduler, fail: () => boolean = () => false) {
  const commits: string[] = [];
  const failures: string[] = [];
  let offset = 0;
  let completed = true;
  const cadence = new CommitCadence({
    intervalMs: 100,
    scheduler,
    pending: (): PendingCommit[] => (completed ? [{ commit: { topic: 't', partition: 0, offset: String((offset += 1)) }, committed: () => (completed = false) }] : []),
    commit: (batch) => {
      if (fail()) return Promise.reject(new Error('rebalancing'));
      commits.push(`${scheduler.now()}:${batch.map((one) => one.offset).join(',')}`);
      return Promise.resolve();
    },
    onCommitted: () => undefined,
    onFailed: (batch, error) => failures.push(`${scheduler.now()}:${error}`),
  });
  return { cadence, commits, failures, complete: () => (completed = true) };
}

describe('CommitCadence', () => {
  it('CommitCadence - the first commit goes at once, the next one waits out the interval on the scheduler', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { cadence, commits, complete } = cadenceOn(scheduler);
    cadence.schedule();
    await turn();
    expect(commits).toEqual(['0:1']);
    complete();
    cadence.schedule();
    await turn();
    expect(commits).toEqual(['0:1']);
    scheduler.flush();
    await turn();
    expect(commits).toEqual(['0:1', '100:2']);
    expect(cadence.idle).toBeUndefined();
  });

  it('CommitCadence - completions of one turn go in one commit; a stop commits at once', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { cadence, commits, complete } = cadenceOn(scheduler);
    cadence.schedule();
    cadence.schedule();
    await turn();
    expect(commits).toEqual(['0:1']);
    complete();
    cadence.stopped = true;
    cadence.schedule();
    await cadence.idle;
    expect(commits).toEqual(['0:1', '0:2']);
  });

  it('CommitCadence - a failed commit is reported and retried with the next one', async () => {
    const scheduler = new VirtualTimeScheduler();
    let failing = true;
    const { cadence, commits, failures, complete } = cadenceOn(scheduler, () => failing);
    cadence.schedule();
    await turn();
    expect(failures).toEqual(['0:rebalancing']);
    failing = false;
    complete();
    cadence.schedule();
    await turn();
    expect(commits).toEqual([]);
    scheduler.flush();
    await turn();
    expect(commits).toEqual(['100:2']);
  });
});
