/**
 * The entry of a worker thread: runs calls with an {@link Executor} whose asynchronous host calls go through the
 * bridge and whose log lines are posted to the main thread.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BridgeClient } from './bridge.js';
import { Executor } from './executor.js';
import { IdentRegistry } from './invocation.js';
import type { Deadline } from './deadline.js';
import type { RunOutcome } from './outcome.js';
import { ownBytes, ownRequest } from './request.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('src/runtime/worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

const executor = new Executor(
  {
    capabilities: init.capabilities,
    secrets: init.secrets,
    async: new BridgeClient(init.bridge, post),
    log: (level, message, fields) => post({ type: 'log', level, message, fields }),
    idents: new IdentRegistry(),
    limits: init.limits,
    sleeps: 'wait',
  },
  { fresh: init.fresh, instances: init.instances },
);
for (const definition of init.functions) executor.register(definition);

/** A call's deadline on this thread: its time limit from now. */
const deadline = (): Deadline => ({ at: performance.now() + init.limits.timeoutMs, reason: 'timeout' });

port.on('message', (message: ToWorker) => {
  if (message.type === 'register') {
    executor.register(message.definition);
    return;
  }
  const ran = executor.run(message.name, message.request, deadline());
  // A relocation is for calls on the calling thread; a worker's deadline is its time limit, so none arrives here.
  let outcome: RunOutcome = ran.kind === 'relocate' ? { kind: 'failure', failure: { code: 'E2RX_INTERNAL', message: 'a worker call was relocated' } } : ran;
  // The output is a view into a slab (allocBytes): it gets a buffer of its own, which is then transferred.
  if (outcome.kind === 'output') outcome = { ...outcome, output: ownBytes(outcome.output), request: ownRequest(outcome.request) };
  else if (outcome.kind !== 'failure') outcome = { ...outcome, request: ownRequest(outcome.request) };
  const transfer = outcome.kind === 'output' ? [outcome.output.buffer as ArrayBuffer] : [];
  post({ type: 'done', id: message.id, outcome, instances: executor.instances(message.name) }, transfer);
  // No spare after an instance failed to start: it would fail the same way, and one stopped at its time limit would
  // hold this worker for another time limit while the pool, seeing it idle, hands it calls. The next call tries again.
  if (outcome.kind === 'failure' && outcome.failure.details?.['phase'] === 'start') return;
  setImmediate(() => executor.prewarm(message.name, deadline()));
});

post({ type: 'ready' });
