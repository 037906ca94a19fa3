/**
 * Runs one case: its input through the handler (or schedule) it targets, with the app's real functions and the case's
 * capabilities, and gives what came of it as values: the HTTP reply, the published message and dead letter, the log
 * lines, the cache. In virtual time when every capability is stubbed.
 *
 * @module
 */
import { firstValueFrom, map, of, timeout, VirtualTimeScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { App } from '../../app/load-app.js';
import { resolveCapabilities } from '../../directive/capabilities.js';
import { E2rxError, errorMessage } from '../../errors.js';
import { createRequest, type FunctionRequest } from '../../runtime/request.js';
import { scheduleRequest } from '../../sources/schedule.js';
import type { RunResult } from '../../steps/steps.js';
import { retryRuns, type Attempted } from './case-retries.js';
import { streamRequest } from '../../messages/stream-request.js';
import { compileForTest, type TestApp } from '../compile-for-test.js';
import { createCaseRuntime, type CaseLogLine } from './case-runtime.js';
import type { ResolvedCase } from './case-targets.js';
import type { RealCapability, Stubs } from './case-schema.js';
import { httpReplyOf, type HttpReply } from './http-reply-of.js';
import { retryPolicyOf } from '../../handlers/retries.js';
import { deadLetterOf, publishedOf, type InputMessage, type OutputMessage } from './stream-outputs.js';
import { createStubHost, mergeStubs, stubBody } from './stub-host.js';

/** What came of one case. */
export interface CaseOutcome {
  /** How the (last) run ended. */
  readonly result: RunResult;
  /** Request cases: the reply. */
  readonly reply: HttpReply | undefined;
  /** Message cases: the result published to respondTo, if any. */
  readonly published: OutputMessage | undefined;
  /** Message cases: the dead letter, if any. */
  readonly deadLetter: OutputMessage | undefined;
  /** Runs made (more than one when a failing message was retried). */
  readonly attempts: number;
  readonly logs: readonly CaseLogLine[];
  /** The stubbed cache after the run. */
  readonly cache: ReadonlyMap<string, Uint8Array>;
  /** Whether the run was in virtual time. */
  readonly virtual: boolean;
}

/** What a case needs besides itself. */
export interface RunCaseOptions {
  readonly app: App;
  /** The case file's stubs, under the case's own. */
  readonly fileStubs: Stubs | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The app's static files, read ahead. */
  readonly staticFiles: ReadonlyMap<string, Uint8Array>;
}

/** How long a run in real time may take when its handler sets no request timeout. */
const REAL_TIME_LIMIT_MS = 60_000;

/**
 * Runs one case.
 *
 * @example
 * ```ts
 * const outcome = await runCase(resolved, { app, fileStubs: cases.stubs, env: process.env, staticFiles: new Map() });
 * outcome.reply?.status; // 200
 * ```
 */
export async function runCase(resolved: ResolvedCase, options: RunCaseOptions): Promise<CaseOutcome> {
  const { app } = options;
  const { input } = resolved;
  const stubs = mergeStubs(options.fileStubs, input.stubs);
  const real = new Set<RealCapability>(input.real ?? []);
  const env = { ...options.env, ...(stubs.secrets ?? {}) };
  const capabilities = resolveCapabilities(app.directive, env);
  const host = createStubHost({ capabilities, stubs, real, staticFiles: options.staticFiles });
  const runtime = await createCaseRuntime({ app, capabilities, stubs: host, anyReal: real.size > 0, env });
  try {
    const scheduler = runtime.virtual ? new VirtualTimeScheduler() : undefined;
    const test = compileForTest(app.directive, { runner: runtime.runner, ...(scheduler ? { scheduler } : {}) });
    const ran = await settle(runOf(resolved, test, scheduler), scheduler);
    logOutcome(runtime.logger, resolved, ran);
    return { ...ran, logs: runtime.logs, cache: host.cache, virtual: runtime.virtual };
  } finally {
    await runtime.close();
  }
}

type Ran = Pick<CaseOutcome, 'result' | 'reply' | 'published' | 'deadLetter' | 'attempts'>;

/** The run of a case's input, as one value. */
function runOf(resolved: ResolvedCase, test: TestApp, scheduler: SchedulerLike | undefined): Observable<Ran> {
  const { input, target } = resolved;
  const on = scheduler ? { scheduler } : {};
  if (target.kind === 'request') {
    const request = input.request;
    const headers = lowerCased(request?.headers);
    const fields = {
      method: (request?.method ?? 'GET').toUpperCase(),
      url: request?.path ?? '/',
      body: stubBody(request ?? {}),
      headers,
      params: { ...target.params },
    };
    const id = headers['x-request-id'];
    const limit = target.handler.bounds.requestTimeoutMs;
    return test.run(target.handler.id, createRequest(id !== undefined && id !== '' ? { ...fields, id } : fields)).pipe(
      timeout({ first: limit, with: () => of(timedOut(limit, createRequest(fields))), ...on }),
      map((result): Ran => ({ result, reply: httpReplyOf(result), published: undefined, deadLetter: undefined, attempts: 1 })),
    );
  }
  if (target.kind === 'tick') {
    return test.run(target.schedule.id, scheduleRequest(target.schedule.schedule)).pipe(
      map((result): Ran => ({ result, reply: undefined, published: undefined, deadLetter: undefined, attempts: 1 })),
    );
  }
  const message: InputMessage = {
    key: input.message?.key,
    headers: Object.entries(input.message?.headers ?? {}),
    payload: stubBody(input.message ?? {}),
  };
  const plan = target.handler;
  const first = streamRequest(plan.handler.resource, message.payload, message.headers);
  const attempt = (number: number): Observable<RunResult> => test.run(plan.id, number === 1 ? first : streamRequest(plan.handler.resource, message.payload, message.headers, first.id));
  return retryRuns(attempt, { ...retryPolicyOf(plan), ...on }).pipe(
    map((end: Attempted): Ran => {
      if (end.kind === 'done') {
        return { result: end.value, reply: undefined, published: publishedOf(plan, message, end.value), deadLetter: undefined, attempts: end.attempts };
      }
      const result = isRunResult(end.failure) ? end.failure : failureResult(end.failure, first);
      return { result, reply: undefined, published: undefined, deadLetter: deadLetterOf(plan, message, end.failure, end.attempts, first.id), attempts: end.attempts };
    }),
  );
}

/** The first value of a run: at once in virtual time (the clock is run to its end), else when it comes. */
async function settle(run: Observable<Ran>, scheduler: VirtualTimeScheduler | undefined): Promise<Ran> {
  if (scheduler === undefined) return firstValueFrom(run.pipe(timeout(REAL_TIME_LIMIT_MS)));
  let value: Ran | undefined;
  let failure: unknown;
  const subscription = run.subscribe({ next: (ran) => (value ??= ran), error: (error: unknown) => (failure = error) });
  scheduler.flush();
  subscription.unsubscribe();
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(errorMessage(failure));
  if (value === undefined) throw new E2rxError('E2RX_STEP_FAILED', 'the run did not end in virtual time (a function waited for something that never came)');
  return value;
}

/** The lines the engine writes about how a run ended (src/engine/handler-run.ts, src/streams/nats-pipeline.ts). */
function logOutcome(logger: Logger, resolved: ResolvedCase, ran: Ran): void {
  const { target } = resolved;
  const id = target.kind === 'tick' ? target.schedule.id : target.handler.id;
  const { result } = ran;
  if (result.kind === 'ok') return;
  if (target.kind !== 'message') {
    if (result.kind === 'runError') logger.info(`${id} returned an error: ${result.error.message}`);
    else logger.error(`${id} failed: ${result.error.message}`);
    return;
  }
  const { deadLetter } = target.handler.handler;
  const message = result.error.message;
  if (ran.deadLetter !== undefined) logger.warn(`${id}: message failed ${ran.attempts} time(s) and went to ${deadLetter ?? ''}: ${message}`);
  else logger.error(`${id}: message dropped: ${message}`);
}

function timedOut(limit: number, request: FunctionRequest): RunResult {
  return { kind: 'failure', error: new E2rxError('E2RX_REQUEST_TIMEOUT', `request timed out after ${limit} ms`, { details: { requestTimeoutMs: limit } }), request };
}

function failureResult(error: unknown, request: FunctionRequest): RunResult {
  return { kind: 'failure', error: error instanceof Error ? error : new Error(String(error)), request };
}

function isRunResult(value: unknown): value is RunResult {
  return typeof value === 'object' && value !== null && 'kind' in value && 'request' in value;
}

function lowerCased(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const lowered: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) lowered[name.toLowerCase()] ??= value;
  return lowered;
}
