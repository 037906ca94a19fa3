import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createStreamConnections } from '../../src/handlers/stream-connections.js';
import { formatProblems, parseDirective, type Directive } from '../../src/directive/index.js';
import { E2rxError } from '../../src/errors.js';
import { compileDirective } from '../../src/engine/compile.js';
import { createGate } from '../../src/flow/gate.js';
import { handlerRunOf } from '../../src/handlers/handler-run.js';
import { EMPTY, lastValueFrom } from 'rxjs';

const logger = pino({ level: 'silent' });

function directive(connections: string, handlers: string): Directive {
  const { directive: parsed, problems } = parseDirective(`identifier: com.e2rx.spec
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
${connections}
handlers:
${handlers}
runnables: [ { name: echo, namespace: default } ]
`);
  if (!parsed) throw new Error(formatProblems(problems));
  return parsed;
}

describe('createStreamConnections', () => {
  it('createStreamConnections - an unreachable NATS server fails the start with E2RX_CONNECTION naming the address, within the bound', async () => {
    const streams = createStreamConnections(
      directive('  nats: { serverAddress: nats://127.0.0.1:1 }', '  - { type: stream, source: nats, resource: a, steps: [ { fn: echo } ] }'),
      { logger, env: {}, connectTimeoutMs: 1_000 },
    );
    const started = Date.now();
    const error = await streams.connect().catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(E2rxError.is(error, 'E2RX_CONNECTION')).toBe(true);
    expect((error as E2rxError).message).toContain('cannot connect to NATS at nats://127.0.0.1:1');
    expect((error as E2rxError).retriable).toBe(true);
    expect(streams.health()).toEqual({ nats: false });
  });

  it('createStreamConnections - an unreachable Kafka broker fails the start with E2RX_CONNECTION naming the address, within the bound', async () => {
    const streams = createStreamConnections(
      directive('  kafka: { brokerAddress: env(SPEC_KAFKA) }', '  - { type: stream, source: kafka, resource: a, steps: [ { fn: echo } ] }'),
      { logger, env: { SPEC_KAFKA: '127.0.0.1:1' }, connectTimeoutMs: 1_000 },
    );
    const started = Date.now();
    const error = await streams.connect().catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(E2rxError.is(error, 'E2RX_CONNECTION')).toBe(true);
    expect((error as E2rxError).message).toContain('cannot connect to Kafka at 127.0.0.1:1');
    expect(streams.health()).toEqual({ kafka: false });
  });

  it('createStreamConnections - an env(VAR) address that is unset is a clear error', async () => {
    const streams = createStreamConnections(
      directive('  nats: { serverAddress: env(NOPE) }', '  - { type: stream, source: nats, resource: a, steps: [ { fn: echo } ] }'),
      { logger, env: {} },
    );
    await expect(streams.connect()).rejects.toThrow('connections.nats.serverAddress is empty (env(NOPE))');
  });

  it('createStreamConnections - an app without NATS or Kafka handlers connects nothing and reports no connection', async () => {
    const streams = createStreamConnections(directive('  nats: { serverAddress: nats://127.0.0.1:1 }', '  - { type: request, resource: /a, method: GET, steps: [ { fn: echo } ] }'), {
      logger,
      env: {},
    });
    await streams.connect();
    expect(streams.health()).toEqual({});
    expect(await streams.drain(10)).toBe(true);
    await streams.close();
  });

  it('createStreamConnections - a pipeline subscribed before connect errors with E2RX_CONNECTION', async () => {
    const parsed = directive('  nats: { serverAddress: nats://127.0.0.1:1 }', '  - { type: stream, source: nats, resource: a, steps: [ { fn: echo } ] }');
    const streams = createStreamConnections(parsed, { logger, env: {} });
    const plan = compileDirective(parsed, { defaultMaxInFlight: 2 }).streams[0];
    if (!plan) throw new Error('no plan');
    const error = await lastValueFrom(streams.stream(plan, handlerRunOf(() => EMPTY), createGate(plan.bounds))).catch((caught: unknown) => caught);
    expect(E2rxError.is(error, 'E2RX_CONNECTION')).toBe(true);
  });
});
