/**
 * e2rx: a WebAssembly function server for event-driven apps, re-implementing Suborbital Atmo v0.4.x as a reactive
 * dataflow engine on RxJS.
 *
 * This is the public API, a curated facade: the engine, the Directive parser, and the building blocks a program
 * assembles its own pipelines from (sources, step operators, sinks, runners, the stream clients). Everything else
 * under `src/` is internal and may change in any release. Every export is listed and explained, with an example, in
 * docs/reference/api.md; `specs/api.spec.ts` fails when the two drift apart or when the facade grows past 60 runtime
 * exports. The marble-test kit is the other entry point, `e2rx/testing` (src/testing/index.ts).
 *
 * @example
 * ```ts
 * import { createEngine, createLogger } from 'e2rx';
 *
 * const engine = createEngine({ app: './my-app', port: 8080, logger: createLogger() });
 * await engine.start();
 * ```
 * @see ../docs/reference/api.md
 * @packageDocumentation
 */

// Errors
export { E2rxError, ERROR_CODES, type ErrorCode, type E2rxErrorOptions } from './errors.js';

// The Directive
export {
  parseDirective,
  formatProblem,
  formatProblems,
  hasErrors,
  directiveJsonSchema,
  type Directive,
  type DirectiveResult,
  type ParseDirectiveOptions,
  type Problem,
  type Handler,
  type Schedule,
  type Step,
  type Call,
  type OnErr,
  type Runnable,
} from './directive/index.js';

// Apps and the engine
export { loadApp, type App, type AppFunction, type StaticFiles } from './app/index.js';
export { createEngine, type Engine, type EngineOptions } from './engine/engine.js';
export { createReloadingEngine, type ReloadingEngine, type ReloadingEngineOptions, type ReloadOutcome } from './engine/reload.js';
export { compileDirective, type CompileOptions } from './engine/compile.js';
export type { Plan, HandlerPlan, SchedulePlan, HeadlessRoute, HandlerBounds } from './handlers/plan.js';
export { buildApp, type BuildAppOptions, type BuildReport, type BuildEvent } from './build/index.js';

// Step operators and function runners
export { runSteps, stepsOperator, startRun, toRunResult, type RunResult, type StepOptions } from './steps/steps.js';
export { fnStep } from './steps/fn.js';
export { groupStep, type GroupStepOptions } from './steps/group.js';
export { forEachStep } from './steps/for-each.js';
export type { RunState, RunError } from './steps/run-state.js';
export type { GuestPublish } from './runtime/guest-publish.js';
export type { FunctionRunner, FunctionOutcome, FunctionRef } from './steps/function-runner.js';
export { runtimeRunner, type FunctionInvoker } from './engine/runtime-runner.js';
export type { FunctionRequest } from './runtime/request.js';
export { DEFAULT_CAPABILITIES, type CapabilityConfig } from './directive/capability-config.js';

// HTTP, websocket and schedule: sources, sinks, the server, admission
export { createHttpServer, type HttpServer, type HttpServerOptions, type HealthReport } from './server/http-server.js';
export { fromHttpRoute, type HttpRouteOptions } from './sources/http.js';
export type { HttpJob } from './messages/http-job.js';
export { fromWebSocketRoute, type WebSocketConnection, type WebSocketRouteOptions } from './sources/websocket.js';
export type { WebSocketJob } from './messages/websocket-job.js';
export { fromSchedule } from './sources/schedule.js';
export { replyHttp, statusOfRunError } from './sinks/http-reply.js';
export { replyWebSocket } from './sinks/websocket-reply.js';
export { createGate, type Gate, type GateOptions } from './flow/gate.js';
export { createMetrics, type EngineMetrics } from './server/metrics.js';
export { createLogger, type LoggerOptions, type LogLevel } from './logging/logger.js';

// NATS, JetStream and Kafka: connections, sources, sinks, the Kafka driver interface
export { createStreamConnections, type StreamConnections, type StreamConnectionsOptions } from './handlers/stream-connections.js';
export { connectNats, type NatsConnectionHandle, type NatsConnectOptions } from './connections/nats.js';
export { fromNatsSubject, type NatsSubjectOptions } from './sources/nats.js';
export type { NatsJob } from './messages/nats-job.js';
export { fromJetStream, type JetStreamSourceOptions } from './sources/jetstream.js';
export type { JetStreamTarget } from './connections/jetstream.js';
export { createPlatformaticDriver, type PlatformaticDriverOptions } from './connections/platformatic-driver.js';
export { createKafkajsDriver, type KafkajsDriverOptions } from './connections/kafkajs-driver.js';
export type {
  KafkaDriver,
  KafkaConsumer,
  KafkaConsumerListener,
  KafkaConsumerOptions,
  KafkaCommit,
  KafkaRecord,
  KafkaOutgoing,
  TopicPartition,
} from './connections/kafka-driver.js';
export { fromKafkaTopic, type KafkaTopicOptions, type KafkaFlowEvent } from './sources/kafka.js';
export type { KafkaJob } from './messages/kafka-job.js';
export {
  respondToNats,
  respondToKafka,
  deadLetterNats,
  deadLetterKafka,
  kafkaResultRecord,
  kafkaDeadLetterRecord,
  type NatsRun,
  type NatsDelivery,
  type RespondToNatsOptions,
  type KafkaRun,
  type KafkaDelivery,
  type RespondToKafkaOptions,
} from './sinks/respond-to.js';
export { describeFailure, type FailureDescription } from './messages/headers.js';
export { createInFlight, type InFlight } from './flow/in-flight.js';
