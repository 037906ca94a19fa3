/**
 * The handler registry (src/handlers/registry.ts): every Directive handler has exactly one kind, each kind's keys are
 * keys of the Directive schema, and the stream kinds' planning applies the defaults (pure, in compile).
 */
import { describe, expect, it } from 'vitest';
import { parseDirective } from '../../src/directive/index.js';
import { HANDLER_KEYS } from '../../src/directive/handler-schema.js';
import { HandlerSchema, RunnableSchema, ScheduleSchema } from '../../src/directive/schema.js';
import { compileDirective } from '../../src/engine/compile.js';
import { jetStreamTarget } from '../../src/handlers/jetstream.js';
import { HANDLER_KINDS, handlerKind, handlerKindOf, headlessKind, scheduleKind } from '../../src/handlers/registry.js';

const YAML = `
identifier: com.example.kinds
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  nats: { serverAddress: nats://127.0.0.1:4222 }
  kafka: { brokerAddress: 127.0.0.1:9092 }
runnables:
  - { name: a, namespace: default }
handlers:
  - { type: request, resource: /a, method: POST, steps: [ { fn: a } ] }
  - { type: stream, resource: /ws, steps: [ { fn: a } ] }
  - { type: stream, source: nats, resource: core.in, steps: [ { fn: a } ] }
  - { type: stream, source: nats, resource: js.in, jetstream: {}, retries: { max: 2, backoffMs: 10 }, steps: [ { fn: a } ] }
  - { type: stream, source: nats, resource: js.named, queueGroup: q, jetstream: { durable: d, maxDeliver: 9 }, steps: [ { fn: a } ] }
  - { type: stream, source: kafka, resource: orders, steps: [ { fn: a } ] }
  - { type: stream, source: kafka, resource: named, consumerGroup: g, steps: [ { fn: a } ] }
schedules:
  - { name: tick, every: { seconds: 1 }, steps: [ { fn: a } ] }
`;

function directive() {
  const { directive: parsed, problems } = parseDirective(YAML);
  expect(problems.filter((problem) => problem.severity === 'error')).toEqual([]);
  if (!parsed) throw new Error('no directive');
  return parsed;
}

describe('handler registry', () => {
  it('registry - each Directive handler is of exactly one kind', () => {
    for (const handler of directive().handlers) {
      expect(HANDLER_KINDS.filter((kind) => kind.accepts(handler)).map((kind) => kind.name)).toEqual([handlerKindOf(handler).name]);
    }
    expect(directive().handlers.map((handler) => handlerKindOf(handler).name)).toEqual(['http', 'websocket', 'nats', 'jetstream', 'jetstream', 'kafka', 'kafka']);
  });

  it("registry - every kind's keys are keys of the Directive schema", () => {
    const handlerKeys = Object.keys(HandlerSchema.shape);
    for (const kind of HANDLER_KINDS) for (const key of kind.keys) expect(handlerKeys, `${kind.name}.${key}`).toContain(key);
    for (const key of scheduleKind.keys) expect(Object.keys(ScheduleSchema.shape)).toContain(key);
    for (const key of headlessKind.keys) expect(Object.keys(RunnableSchema.shape)).toContain(key);
  });

  it("registry - the handler schema is built from the kinds' declared keys: the two lists agree, kind by kind", () => {
    expect(HANDLER_KINDS.map((kind) => kind.name)).toEqual(HANDLER_KEYS.map((keys) => keys.kind));
    HANDLER_KINDS.forEach((kind, index) => expect(kind.keys).toBe(HANDLER_KEYS[index]?.names));
    expect(new Set(HANDLER_KINDS.flatMap((kind) => kind.keys))).toEqual(new Set(Object.keys(HandlerSchema.shape)));
  });

  it('registry - every kind is found by its name', () => {
    for (const name of ['http', 'headless', 'websocket', 'schedule', 'nats', 'jetstream', 'kafka'] as const) expect(handlerKind(name).name).toBe(name);
  });

  it('registry - stream defaults are planned in compile: queue group, durable, maxDeliver, consumer group, Kafka ordering and delivery', () => {
    const plan = compileDirective(directive());
    const byId = new Map(plan.streams.map((handler) => [`${handler.kind} ${handler.handler.resource}`, handler]));
    expect(byId.get('nats core.in')?.nats).toMatchObject({ subject: 'core.in', queue: 'com.example.kinds', retries: { max: 0, backoffMs: 1_000 }, jetstream: undefined });
    expect(byId.get('jetstream js.in')?.nats?.jetstream).toEqual({ stream: undefined, durable: 'com_example_kinds_js_in', ackWaitMs: 30_000, maxDeliver: 3, nakDelayMs: undefined });
    expect(byId.get('jetstream js.named')?.nats).toMatchObject({ queue: 'q', jetstream: { durable: 'd', maxDeliver: 9 } });
    expect(byId.get('kafka orders')?.kafka).toEqual({ id: 'kafka orders', topic: 'orders', groupId: 'com.example.kinds', ordering: 'partition', delivery: 'at-least-once', respondTo: undefined, deadLetter: undefined, retries: { max: 0, backoffMs: 1_000 } });
    expect(byId.get('kafka named')?.kafka?.groupId).toBe('g');
    expect(plan.schedules.map((schedule) => schedule.kind)).toEqual(['schedule']);
  });

  it('registry - the JetStream stream and consumer prepared at start are planned with the handler, defaults applied', () => {
    const plan = compileDirective(directive());
    expect(plan.streams.map((handler) => jetStreamTarget(handler))).toEqual([
      undefined,
      { subject: 'js.in', durable: 'com_example_kinds_js_in', ackWaitMs: 30_000, maxDeliver: 3 },
      { subject: 'js.named', durable: 'd', ackWaitMs: 30_000, maxDeliver: 9 },
      undefined,
      undefined,
    ]);
  });
});
