/**
 * The entry of a worker thread: runs calls with an {@link Executor} whose asynchronous host calls go through the
 * bridge and whose log lines are posted to the main thread.
 *
 * @module
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { BridgeClient } from './bridge.js';
import { Executor } from './executor.js';
import { IdentRegistry } from './invocation.js';
import type { Deadline } from './deadline.js';
import type { RunOutcome } from './outcome.js';
import { ownBytes, ownRequest } from './request.js';
import type { Call, Done, FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { type CallRecord, readCall, writeResult } from './handoff-codec.js';
import type { FunctionRequest } from './request.js';
import { Ring } from './ring.js';

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

/** The request as the guest sees it on this thread (`lean` and `body` copies leave out what it cannot read). */
const received = (request: FunctionRequest): FunctionRequest =>
  init.copy === 'full' ? request : { ...request, headers: request.headers ?? {}, params: request.params ?? {}, state: request.state ?? {}, respHeaders: {} };

/** Runs one call; its outcome with buffers of their own (the output is a view into a slab), and what to transfer. */
function runCall(call: Call): { done: Done; transfer: ArrayBuffer[] } {
  const request = received(call.request);
  const ran = executor.run(call.name, request, deadline());
  // A relocation is for calls on the calling thread; a worker's deadline is its time limit, so none arrives here.
  let outcome: RunOutcome = ran.kind === 'relocate' ? { kind: 'failure', failure: { code: 'E2RX_INTERNAL', message: 'a worker call was relocated' } } : ran;
  if (outcome.kind !== 'failure') {
    const unchanged = init.copy !== 'full' && outcome.request === request;
    const back = unchanged ? (undefined as unknown as FunctionRequest) : ownRequest(outcome.request);
    outcome = outcome.kind === 'output' ? { ...outcome, output: ownBytes(outcome.output), request: back } : { ...outcome, request: back };
  }
  const transfer = outcome.kind === 'output' ? [outcome.output.buffer as ArrayBuffer] : [];
  return { done: { id: call.id, outcome, instances: executor.instances(call.name) }, transfer };
}

/** The `ring` transport: calls come from a ring, outcomes go to another; the thread sleeps on the ring when idle. */
function serveRing(): void {
  const rings = init.rings;
  if (rings === undefined) throw new Error('the ring transport needs rings');
  const calls = new Ring(rings.calls);
  const results = new Ring(rings.results);
  let warm: string | undefined;
  for (;;) {
    const seen = calls.seq;
    let call: CallRecord | undefined;
    calls.read((r) => (call = readCall(r)));
    if (call === undefined) {
      if (warm !== undefined) executor.prewarm(warm, deadline());
      warm = undefined;
      calls.sleep(seen);
      continue;
    }
    if (call.id === 0) {
      // A control record: the main thread posted registrations, which this thread (never back in its event loop) takes.
      for (let m = receiveMessageOnPort(port as MessagePort); m !== undefined; m = receiveMessageOnPort(port as MessagePort)) {
        const message = m.message as ToWorker;
        if (message.type === 'register') executor.register(message.definition);
      }
      continue;
    }
    const request = call.request;
    const ran = executor.run(call.name, request, deadline());
    const outcome: RunOutcome = ran.kind === 'relocate' ? { kind: 'failure', failure: { code: 'E2RX_INTERNAL', message: 'a worker call was relocated' } } : ran;
    const id = call.id;
    const instances = executor.instances(call.name);
    while (!results.write((w) => writeResult(w, id, instances, outcome, request))) results.sleep(results.seq);
    results.wake();
    warm = call.name;
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'register') {
    executor.register(message.definition);
    return;
  }
  if (message.type === 'calls') {
    const results: Done[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const call of message.calls) {
      const ran = runCall(call);
      results.push(ran.done);
      transfer.push(...ran.transfer);
    }
    post({ type: 'results', results }, transfer);
    const last = message.calls[message.calls.length - 1];
    if (last !== undefined) setImmediate(() => executor.prewarm(last.name, deadline()));
    return;
  }
  const ran = runCall(message);
  post({ type: 'done', ...ran.done }, ran.transfer);
  setImmediate(() => executor.prewarm(message.name, deadline()));
});

post({ type: 'ready' });
if (init.transport === 'ring') setImmediate(serveRing);
