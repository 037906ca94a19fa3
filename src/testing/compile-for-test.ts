/**
 * A Directive compiled for tests: each handler and schedule as a function from request to result Observable, run
 * with an injected runner and scheduler.
 *
 * @module
 */
import type { Observable, SchedulerLike } from 'rxjs';
import { compileDirective } from '../engine/compile.js';
import type { Plan } from '../handlers/plan.js';
import { E2rxError } from '../errors.js';
import { formatProblems, parseDirective, type Directive } from '../directive/index.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { FunctionRunner } from '../steps/function-runner.js';
import { runSteps, type RunResult } from '../steps/steps.js';
import { handlerPipeline } from './handler-pipeline.js';
import { assertSharedScheduler } from './shared-rxjs.js';

/** Options of {@link compileForTest}. */
export interface CompileForTestOptions {
  readonly runner: FunctionRunner;
  /** The scheduler for group timeouts (the `TestScheduler`, inside `run()` it is used automatically). */
  readonly scheduler?: SchedulerLike;
  /** The runnables when the Directive lists none (default: every fn the handlers name). */
  readonly runnables?: readonly string[];
}

/** A compiled app for tests. */
export interface TestApp {
  readonly plan: Plan;
  /** Runs a handler (by id: `POST /hello`, `ws /stream`, `nats subject`) or a schedule (`schedule <name>`). */
  run(id: string, request: FunctionRequest): Observable<RunResult>;
  /**
   * The whole pipeline of a handler (by id) over a source of requests, in virtual time: gate, steps under the request
   * time limit, retries, and the results the sink sends (see {@link handlerPipeline}).
   */
  handle(id: string, requests: Observable<FunctionRequest>): Observable<RunResult>;
}

/**
 * Compiles Directive YAML (or a normalised Directive) for tests.
 *
 * @throws {@link E2rxError} `E2RX_DIRECTIVE_INVALID` with every problem when the YAML is invalid;
 *   `E2RX_TEST_RXJS_DUPLICATE` when `scheduler` is a scheduler of another copy of rxjs than e2rx's.
 */
export function compileForTest(source: string | Directive, options: CompileForTestOptions): TestApp {
  if (options.scheduler !== undefined) assertSharedScheduler(options.scheduler, 'the scheduler given to compileForTest');
  const directive = typeof source === 'string' ? parse(source, options.runnables) : source;
  const plan = compileDirective(directive, { defaultMaxInFlight: 8 });
  const stepOptions = options.scheduler ? { scheduler: options.scheduler } : {};
  return {
    plan,
    run(id, request) {
      const handler = [...plan.requests, ...plan.websockets, ...plan.streams].find((candidate) => candidate.id === id);
      if (handler) return runSteps(handler.steps, handler.response, request, options.runner, { ...stepOptions, groupTimeoutMs: handler.groupTimeoutMs });
      const schedule = plan.schedules.find((candidate) => candidate.id === id);
      if (schedule) return runSteps(schedule.schedule.steps, undefined, request, options.runner, { ...stepOptions, groupTimeoutMs: schedule.groupTimeoutMs });
      const known = [...plan.requests, ...plan.websockets, ...plan.streams, ...plan.schedules].map((entry) => entry.id);
      throw new E2rxError('E2RX_FUNCTION_NOT_FOUND', `no handler or schedule '${id}'; the app has: ${known.join(', ')}`);
    },
    handle(id, requests) {
      const handlers = [...plan.requests, ...plan.websockets, ...plan.streams];
      const handler = handlers.find((candidate) => candidate.id === id);
      if (!handler) throw new E2rxError('E2RX_FUNCTION_NOT_FOUND', `no handler '${id}'; the app has: ${handlers.map((entry) => entry.id).join(', ')}`);
      return handlerPipeline(handler, options.runner, options.scheduler)(requests);
    },
  };
}

function parse(text: string, runnables: readonly string[] | undefined): Directive {
  const names = runnables ?? [...text.matchAll(/\bfn:\s*['"]?([A-Za-z0-9_.:#@-]+)/g)].map((match) => (match[1] ?? '').split('::').pop() ?? '');
  const { directive, problems } = parseDirective(text, {
    file: 'test Directive',
    inferredRunnables: [...new Set(names)].map((name) => ({ name: name.replace(/@.*$/, ''), namespace: 'default' })),
  });
  if (!directive) throw new E2rxError('E2RX_DIRECTIVE_INVALID', formatProblems(problems), { details: { problems } });
  return directive;
}
