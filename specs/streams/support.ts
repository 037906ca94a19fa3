import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { defer, type Observable } from 'rxjs';
import { createStreamConnections, type StreamConnections, type StreamConnectionsOptions } from '../../src/handlers/stream-connections.js';
import { formatProblems, parseDirective, type Directive, type KafkaDriverName } from '../../src/directive/index.js';
import { compileDirective } from '../../src/engine/compile.js';
import { createGate, type Gate } from '../../src/flow/gate.js';
import { handlerRunOf } from '../../src/handlers/handler-run.js';
import type { HandlerPlan, Plan } from '../../src/handlers/plan.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import type { RunResult } from '../../src/steps/steps.js';
import type { StreamOutcome } from '../../src/messages/stream-outcome.js';
import { KAFKA_BROKERS, NATS_URL } from '../support/services.js';

export const silent = pino({ level: process.env['E2RX_SPEC_LOG'] ?? 'silent' });
export const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
export const decode = (bytes: Uint8Array | null | undefined): string => (bytes ? new TextDecoder().decode(bytes) : '');

/** A name unique to this run: subjects, topics, groups. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

/** The environment the spec Directives read their addresses from. */
export const SPEC_ENV = { E2RX_SPEC_NATS: NATS_URL, E2RX_SPEC_KAFKA: KAFKA_BROKERS.join(',') };

/** The Kafka drivers every Kafka integration spec runs against (`connections.kafka.driver`). */
export const KAFKA_DRIVERS = ['platformatic', 'kafkajs'] as const satisfies readonly KafkaDriverName[];

/** The `connections:` of a spec Directive whose Kafka handlers use `driver`; `extra` adds keys to `kafka:`. */
export function connectionsFor(driver: KafkaDriverName, extra = ''): string {
  return `nats: { serverAddress: env(E2RX_SPEC_NATS) }\n  kafka: { brokerAddress: env(E2RX_SPEC_KAFKA), driver: ${driver}${extra === '' ? '' : `, ${extra}`} }`;
}

/** A Directive with the given handlers (YAML list items, already indented under `handlers:`). */
export function app(handlersYaml: string, connections = 'nats: { serverAddress: env(E2RX_SPEC_NATS) }\n  kafka: { brokerAddress: env(E2RX_SPEC_KAFKA) }'): { directive: Directive; plan: Plan } {
  const yaml = `identifier: com.e2rx.spec
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  ${connections}
handlers:
${handlersYaml}
runnables:
  - { name: echo, namespace: default }
`;
  const { directive, problems } = parseDirective(yaml);
  if (!directive) throw new Error(formatProblems(problems));
  return { directive, plan: compileDirective(directive, { defaultMaxInFlight: 8 }) };
}

/** What the stub run does with a request: its result, after an optional delay. */
export type Behaviour = (request: FunctionRequest) => RunResult | Promise<RunResult>;

/**
 * The stub of the engine's `run`: by default the body upper-cased; a body containing `fail` is a runError 500;
 * `slow:<ms>` waits first. Counts calls and the highest concurrency.
 */
export function probeRun(behaviour: Behaviour = echoUpper) {
  const probe = {
    calls: [] as FunctionRequest[],
    current: 0,
    maxConcurrent: 0,
    run: (request: FunctionRequest): Observable<RunResult> =>
      defer(async () => {
        probe.calls.push(request);
        probe.current += 1;
        probe.maxConcurrent = Math.max(probe.maxConcurrent, probe.current);
        try {
          const text = decode(request.body);
          const slow = /slow:(\d+)/.exec(text);
          if (slow) await sleep(Number(slow[1]));
          return await behaviour(request);
        } finally {
          probe.current -= 1;
        }
      }),
  };
  return probe;
}

/** The default behaviour: ok with the body upper-cased, a header set by "the function"; runError on `fail`. */
export function echoUpper(request: FunctionRequest): RunResult {
  const text = decode(request.body);
  if (text.includes('fail')) return { kind: 'runError', error: { code: 500, message: `refused ${text}` }, request };
  request.respHeaders['x-fn'] = 'echo';
  return { kind: 'ok', body: encode(text.toUpperCase()), request };
}

/** A started handler: its outcomes so far, and its stop. */
export interface RunningHandler {
  readonly streams: StreamConnections;
  readonly outcomes: StreamOutcome[];
  readonly gate: Gate;
  readonly plan: HandlerPlan;
  /** Unsubscribes (as the engine's takeUntil does). */
  stopAccepting(): void;
  /** stopAccepting, drain, close. */
  stop(drainMs?: number): Promise<boolean>;
}

/** The gate of a handler, as the engine builds it from the plan's bounds. */
export function gateOf(plan: HandlerPlan): Gate {
  return createGate(plan.bounds);
}

/** Connects a factory for the Directive and starts its `index`-th stream handler. */
export async function startHandler(
  setup: { directive: Directive; plan: Plan },
  run: (request: FunctionRequest) => Observable<RunResult>,
  options: { index?: number; factory?: Partial<StreamConnectionsOptions>; streams?: StreamConnections } = {},
): Promise<RunningHandler> {
  const streams = options.streams ?? createStreamConnections(setup.directive, { logger: silent, env: SPEC_ENV, connectTimeoutMs: 10_000, ...options.factory });
  if (!options.streams) await streams.connect();
  const plan = setup.plan.streams[options.index ?? 0];
  if (!plan) throw new Error('no stream handler at that index');
  const gate = gateOf(plan);
  const outcomes: StreamOutcome[] = [];
  const subscription = streams.stream(plan, handlerRunOf(run), gate).subscribe({ next: (outcome) => outcomes.push(outcome) });
  return {
    streams,
    outcomes,
    gate,
    plan,
    stopAccepting: () => subscription.unsubscribe(),
    async stop(drainMs = 10_000) {
      subscription.unsubscribe();
      const drained = await streams.drain(drainMs);
      await streams.close();
      return drained;
    },
  };
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
