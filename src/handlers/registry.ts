/**
 * The handler kinds, one module each: a new source is a new module in handlers/ and one line here, with its keys
 * declared in directive/handler-keys/ and listed in directive/handler-schema.ts (the Directive's layer cannot import
 * this one; a spec checks that the two lists agree).
 *
 * @module
 */
import type { Handler } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import type { HandlerKind, StreamHandlerKind } from './handler-kind.js';
import { headlessKind } from './headless.js';
import { httpKind } from './http.js';
import { jetstreamKind } from './jetstream.js';
import { kafkaKind } from './kafka.js';
import { natsKind } from './nats.js';
import type { HandlerKindName, HandlerPlan, PlannedHandler } from './plan.js';
import { scheduleKind } from './schedule.js';
import { websocketKind } from './websocket.js';

/** The kinds of the Directive's `handlers` (each handler is of exactly one), in the order of `HANDLER_KEYS`. */
export const HANDLER_KINDS: readonly HandlerKind<HandlerPlan, Handler>[] = [httpKind, websocketKind, natsKind, kafkaKind, jetstreamKind];

/** The kinds of stream handlers (NATS, JetStream, Kafka). */
export const STREAM_KINDS: readonly StreamHandlerKind[] = [natsKind, jetstreamKind, kafkaKind];

/** Every kind by name: the Directive's handlers, its schedules, headless routes. */
const byName = new Map<HandlerKindName, HandlerKind<PlannedHandler, never>>(
  [...HANDLER_KINDS, scheduleKind, headlessKind].map((kind) => [kind.name, kind as unknown as HandlerKind<PlannedHandler, never>]),
);

/**
 * The kind of a Directive handler.
 *
 * @example
 * ```ts
 * handlerKindOf(directive.handlers[0]).name; // 'http'
 * ```
 */
export function handlerKindOf(handler: Handler): HandlerKind<HandlerPlan, Handler> {
  const kind = HANDLER_KINDS.find((candidate) => candidate.accepts(handler));
  if (!kind) throw new E2rxError('E2RX_INTERNAL', `no handler kind for source ${handler.source}`);
  return kind;
}

/** A kind by name. */
export function handlerKind(name: HandlerKindName): HandlerKind<PlannedHandler, never> {
  const kind = byName.get(name);
  if (!kind) throw new E2rxError('E2RX_INTERNAL', `no handler kind ${name}`);
  return kind;
}

/** The stream kind of a planned stream handler. */
export function streamKind(plan: HandlerPlan): StreamHandlerKind {
  const kind = STREAM_KINDS.find((candidate) => candidate.name === plan.kind);
  if (!kind) throw new E2rxError('E2RX_INTERNAL', `${plan.id} is not a NATS or Kafka handler`);
  return kind;
}

/** Loads what the kinds of these planned handlers need (the NATS and Kafka pipelines), once. */
export async function loadHandlerKinds(planned: readonly PlannedHandler[]): Promise<void> {
  const names = new Set(planned.map((item) => item.kind));
  await Promise.all([...names].map((name) => handlerKind(name).load?.() ?? Promise.resolve()));
}

export { headlessKind, httpKind, jetstreamKind, kafkaKind, natsKind, scheduleKind, websocketKind };
