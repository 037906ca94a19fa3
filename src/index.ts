/**
 * e2rx: a WebAssembly function server for event-driven apps, re-implementing Suborbital Atmo v0.4.x as a reactive
 * dataflow engine on RxJS. This is the public API: the same building blocks the Directive compiler uses.
 *
 * @packageDocumentation
 */

// Errors
export { E2rxError, ERROR_CODES, errorMessage, type ErrorCode, type E2rxErrorOptions } from './errors.js';

// The Directive
export {
  parseDirective,
  formatProblem,
  formatProblems,
  hasErrors,
  directiveJsonSchema,
  DirectiveSchema,
  resolveCapabilities,
  resolveEnv,
  parseFqfn,
  formatFqfn,
  findRunnable,
  isValidSemver,
  type Directive,
  type DirectiveInput,
  type DirectiveResult,
  type ParseDirectiveOptions,
  type Problem,
  type Handler,
  type Schedule,
  type Step,
  type Call,
  type OnErr,
  type Query,
  type Runnable,
  type Fqfn,
} from './directive/index.js';

// Apps
export { loadApp, type App, type AppFunction, type StaticFiles } from './app/index.js';

// Engine
export { createEngine, type Engine, type EngineOptions } from './engine/engine.js';
export { compileDirective, type CompileOptions } from './engine/compile.js';
export type { Plan, HandlerPlan, SchedulePlan, HeadlessRoute, HandlerBounds } from './engine/plan.js';
export { createGate, type Gate } from './engine/gate.js';
export { runtimeRunner, type FunctionInvoker } from './engine/runtime-runner.js';

// Steps (operators)
export { fnStep } from './steps/fn.js';
export { groupStep, DEFAULT_GROUP_TIMEOUT_MS, type GroupStepOptions } from './steps/group.js';
export { forEachStep } from './steps/for-each.js';
export { decideOnError } from './steps/on-error.js';
export { desiredState } from './steps/desired-state.js';
export { runSteps, stepsOperator, stepToOperator, startRun, toRunResult, type RunResult, type StepOptions } from './steps/steps.js';
export type { RunState, RunError } from './steps/run-state.js';
export type { FunctionRunner, FunctionOutcome, FunctionRef } from './steps/function-runner.js';

// Sources and sinks
export { fromHttpRoute, requestFromHttp, type HttpJob, type HttpRouteOptions } from './sources/http.js';
export { fromWebSocketRoute, type WebSocketConnection, type WebSocketJob } from './sources/websocket.js';
export { fromSchedule, scheduleRequest } from './sources/schedule.js';
export { replyHttp, statusOfRunError } from './sinks/http-reply.js';
export { replyWebSocket } from './sinks/websocket-reply.js';

// Server, logging
export { createHttpServer, type HttpServer, type HealthReport } from './server/http-server.js';
export { createMetrics, type EngineMetrics } from './server/metrics.js';
export { createAuthenticator, applyIdentity, type Authenticator, type AuthVerdict, type Identity } from './server/auth.js';
export { AUTH_STATE_KEY, effectiveAuth, type AuthConfig } from './directive/auth.js';
export { createLogger, type LoggerOptions, type LogLevel } from './logging/logger.js';

// Runtime
export { createRequest, type FunctionRequest, type RequestFields } from './runtime/request.js';
export { DEFAULT_CAPABILITIES, type CapabilityConfig, type HttpRules } from './capabilities/config.js';
export type { HostServices, HostCallResult } from './capabilities/host-services.js';

// Building functions
export { buildApp, writeBundle, findFunctions, type BuildAppOptions, type BuildReport, type BuildEvent } from './build/index.js';
export { compileGo, findGoToolchain, GO_BUILD_ENV, GO_BUILD_FLAGS, type FunctionSource, type GoToolchain } from './build/index.js';
export { createApp } from './cli/commands/init.js';

// Streams: NATS, JetStream and Kafka sources, respondTo sinks, the Kafka driver interface
export * from './streams/index.js';

// The Wasm runtime and the host services, for hand-built hosts
export { createRuntime, DEFAULT_LIMITS, type Runtime, type RuntimeOptions, type RegisterOptions, type InvocationResult, type FunctionInfo, type RuntimeLimits } from './runtime/runtime.js';
export { createHostServices, type CapabilityHostServices, type CreateHostServicesOptions } from './capabilities/host-services-impl.js';
