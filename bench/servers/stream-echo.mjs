// The servers of bench/streams.ts, one per process, in plain JavaScript (not through tsx; e2rx from the built dist/):
// each consumes <input>, runs the echo function, publishes the result to <input>.out, and prints `ready` on stdout
// once it consumes. Stopped with SIGTERM.
//
// Usage: node bench/servers/stream-echo.mjs <variant> <module.wasm> <nats url> <input subject> [<stream>]
//
// Variants:
// - nats-baseline: a callback subscription; each message → the Wasm inline → publish (what a competent engineer
//   writes with nats.js).
// - jetstream-baseline: consumer.consume({ callback }) on a durable consumer; each message → the Wasm inline →
//   publish → ack (ack after the publish, as e2rx does).
// - nats-e2rx, jetstream-e2rx: createEngine on an app with one stream handler, default limits.
// - nats-stub, jetstream-stub: e2rx's stream pipeline with the run replaced by one answering the body, no Wasm.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { of } from 'rxjs';
import { createStreamConnections } from '../../dist/handlers/stream-connections.js';
import { parseDirective } from '../../dist/directive/index.js';
import { compileDirective } from '../../dist/engine/compile.js';
import { createEngine } from '../../dist/engine/engine.js';
import { createGate } from '../../dist/flow/gate.js';
import { handlerRunOf } from '../../dist/handlers/handler-run.js';

const FN = 'stream-echo';

/** The Wasm function called directly on this thread: allocate, copy in, run_e, copy the result out. */
function inlineFunction(bytes) {
  let output = new Uint8Array(0);
  let failure = false;
  let memory;
  const view = (ptr, size) => new Uint8Array(memory.buffer, ptr, size);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: {
      return_result: (ptr, size) => void (output = view(ptr, size).slice()),
      return_error: () => void (failure = true),
      return_abort: () => void (failure = true),
    },
  });
  memory = instance.exports.memory;
  const { allocate, deallocate, run_e: runE } = instance.exports;
  return (input) => {
    failure = false;
    const ptr = allocate(input.length);
    view(ptr, input.length).set(input);
    runE(ptr, input.length, 1);
    deallocate(ptr, input.length);
    if (failure) throw new Error(`${FN} failed`);
    return output;
  };
}

/** The Directive of the e2rx variants: one stream handler with default limits. */
function directiveOf(url, input, stream) {
  const jetstream = stream === undefined ? '' : `, jetstream: { stream: ${stream}, durable: bench }`;
  return `identifier: com.e2rx.bench
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  nats: { serverAddress: ${url} }
runnables:
  - name: ${FN}
    namespace: default
    lang: assemblyscript
handlers:
  - { type: stream, source: nats, resource: ${input}, respondTo: ${input}.out${jetstream}, steps: [ { fn: ${FN} } ] }
`;
}

async function serve(variant, wasmFile, url, input, stream) {
  const logger = pino({ level: 'warn' });
  const out = `${input}.out`;
  const wasm = await readFile(wasmFile);
  if (variant === 'nats-baseline' || variant === 'jetstream-baseline') {
    const call = inlineFunction(wasm);
    const nc = await connect({ servers: url });
    if (variant === 'nats-baseline') {
      nc.subscribe(input, { callback: (_error, msg) => nc.publish(out, call(msg.data)) });
      await nc.flush();
      return () => nc.drain();
    }
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(stream, { durable_name: 'bench', ack_policy: 'explicit', filter_subject: input });
    const consumer = await jsm.jetstream().consumers.get(stream, 'bench');
    const messages = await consumer.consume({
      max_messages: 1000,
      callback: (msg) => {
        nc.publish(out, call(msg.data));
        msg.ack();
      },
    });
    return async () => {
      await messages.close();
      await nc.drain();
    };
  }
  const text = directiveOf(url, input, stream);
  if (variant.endsWith('-e2rx')) {
    const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-streams-'));
    await writeFile(join(dir, `${FN}.wasm`), wasm);
    await writeFile(join(dir, 'Directive.yaml'), text);
    const engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger });
    await engine.start();
    return async () => {
      await engine.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const { directive } = parseDirective(text);
  if (!directive) throw new Error('the bench Directive is invalid');
  const plan = compileDirective(directive).streams[0];
  if (!plan) throw new Error('no stream handler');
  const streams = createStreamConnections(directive, { logger, env: {} });
  await streams.connect();
  const run = handlerRunOf((request) => of({ kind: 'ok', body: request.body, request }));
  const subscription = streams.stream(plan, run, createGate(plan.bounds)).subscribe();
  return async () => {
    subscription.unsubscribe();
    await streams.drain(10_000);
    await streams.close();
  };
}

const [variant, wasmFile, url, input, stream] = process.argv.slice(2);
if (variant === undefined || wasmFile === undefined || url === undefined || input === undefined) {
  throw new Error('usage: stream-echo.mjs <variant> <module.wasm> <nats url> <input> [<stream>]');
}
const stop = await serve(variant, wasmFile, url, input, stream);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void stop().finally(() => process.exit(0));
});
