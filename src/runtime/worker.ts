/**
 * The entry of a worker thread: takes calls from its {@link CallInbox} and runs them one at a time with an
 * {@link Executor} whose asynchronous host calls go through the bridge and whose log lines go to the main thread, both
 * on the same channel as the outcomes. Between calls it creates the instances it will need; with nothing to do it sleeps on its channel, and never
 * returns to its event loop.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BridgeClient } from './bridge.js';
import { CallInbox } from './call-channel.js';
import { reportable } from './call-codec.js';
import type { Deadline } from './deadline.js';
import { Executor } from './executor.js';
import { IdentRegistry } from './invocation.js';
import type { RunOutcome } from './outcome.js';
import type { FromWorker, WorkerInit } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('src/runtime/worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const inbox = new CallInbox(init.channel);

const executor = new Executor(
  {
    capabilities: init.capabilities,
    secrets: init.secrets,
    async: new BridgeClient(init.bridge, (message, transfer) => inbox.host(message, transfer)),
    log: (level, message, fields) => inbox.log({ type: 'log', level, message, fields }),
    idents: new IdentRegistry(),
    limits: init.limits,
    sleeps: 'wait',
  },
  { fresh: init.fresh, instances: init.instances },
);
for (const definition of init.functions) executor.register(definition);

/** A call's deadline on this thread: its time limit from now. */
const deadline = (): Deadline => ({ at: performance.now() + init.limits.timeoutMs, reason: 'timeout' });

/** Serves the channel for the life of the thread. */
function serve(inbox: CallInbox): void {
  let warm: string | undefined;
  for (;;) {
    const next = inbox.next();
    if (next === undefined) {
      // Idle: make the instances the next call of the last function will need, then sleep.
      if (warm !== undefined) executor.prewarm(warm, deadline());
      warm = undefined;
      inbox.sleep();
      continue;
    }
    if (next.type === 'register') {
      executor.register(next.definition);
      continue;
    }
    const ran = executor.run(next.name, next.request, deadline());
    // A relocation is for calls on the calling thread; a worker's deadline is its time limit, so none arrives here.
    const outcome: RunOutcome = ran.kind === 'relocate' ? { kind: 'failure', failure: { code: 'E2RX_INTERNAL', message: 'a worker call was relocated' } } : ran;
    inbox.reply({ type: 'result', id: next.id, instances: executor.instances(next.name), outcome: reportable(outcome, next.request) });
    // No spare after an instance failed to start: it would fail the same way (and one stopped at its time limit would
    // hold this worker for another time limit). The next call tries again.
    const startFailed = outcome.kind === 'failure' && outcome.failure.details?.['phase'] === 'start';
    warm = startFailed ? undefined : next.name;
  }
}

port.postMessage({ type: 'ready' } satisfies FromWorker);
// Let the module finish evaluating first.
setImmediate(() => serve(inbox));
