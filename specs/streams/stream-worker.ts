/**
 * A stand-in for one e2rx process in the scale-out spec: runs every NATS and Kafka handler of the Directive in
 * `E2RX_WORKER_DIRECTIVE` with a stub run (the body upper-cased, after `E2RX_WORKER_SLOW_MS`), and prints
 * `done <handler> <body>` when a run completes. SIGTERM stops it gracefully (drain, close); SIGKILL is the crash.
 *
 * When the engine and the Wasm runtime are wired, the scale-out spec can spawn `e2rx start <app>` instead.
 *
 * Run: node --import tsx specs/streams/stream-worker.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { defer, type Subscription } from 'rxjs';
import { createKafkajsDriver } from '../../src/connections/kafkajs-driver.js';
import { createStreamConnections } from '../../src/connections/streams.js';
import { formatProblems, parseDirective } from '../../src/directive/index.js';
import { compileDirective } from '../../src/engine/compile.js';
import { createGate } from '../../src/engine/gate.js';
import type { RunResult } from '../../src/steps/steps.js';

const yaml = process.env['E2RX_WORKER_DIRECTIVE'] ?? '';
const slowMs = Number(process.env['E2RX_WORKER_SLOW_MS'] ?? 0);
const { directive, problems } = parseDirective(yaml);
if (!directive) {
  process.stderr.write(`${formatProblems(problems)}\n`);
  process.exit(2);
}
const logger = pino({ level: process.env['E2RX_WORKER_LOG'] ?? 'warn' }, pino.destination(2));
const plan = compileDirective(directive, { defaultMaxInFlight: 4 });
const streams = createStreamConnections(directive, {
  logger,
  env: process.env,
  // A short session, so that the partitions of a killed worker are reassigned within seconds.
  kafkaDriver: (address, log) => createKafkajsDriver(address, { logger: log, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 }),
});
await streams.connect();
const subscriptions: Subscription[] = plan.streams.map((handler) =>
  streams
    .stream(
      handler,
      (request) =>
        defer(async (): Promise<RunResult> => {
          if (slowMs > 0) await sleep(slowMs);
          const body = new TextDecoder().decode(request.body);
          process.stdout.write(`done ${handler.id} ${body}\n`);
          return { kind: 'ok', body: new TextEncoder().encode(body.toUpperCase()), request };
        }),
      createGate(handler.bounds),
    )
    .subscribe({ error: (error: unknown) => logger.error({ err: error }, 'pipeline failed') }),
);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
    await streams.drain(10_000);
    await streams.close();
    process.exit(0);
  })();
});
