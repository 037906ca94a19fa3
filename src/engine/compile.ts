/**
 * Directive to plan: pure, no I/O. Defaults for every bound are applied here, and each handler is planned by its
 * kind (handlers/registry.ts), so the pipeline only reads the plan.
 *
 * @module
 */
import type { Directive } from '../directive/model.js';
import { planningContext } from '../handlers/planning.js';
import type { Plan, PlanLists, PlannedHandler } from '../handlers/plan.js';
import { handlerKindOf, headlessKind, scheduleKind } from '../handlers/registry.js';

export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from '../handlers/planning.js';

/** Options of {@link compileDirective}. */
export interface CompileOptions {
  /** Serve every function at its FQFN path instead of the handlers (docs/reference/cli.md (`--headless`)). */
  readonly headless?: boolean;
  /** The in-flight bound when the Directive gives none (default `DEFAULT_MAX_IN_FLIGHT`). */
  readonly defaultMaxInFlight?: number;
  /** Whether schedules run in this instance (`ATMO_RUN_SCHEDULES`; default true). */
  readonly runSchedules?: boolean;
}

/**
 * Compiles a Directive into the plan the pipeline runs.
 *
 * @example
 * ```ts
 * const plan = compileDirective(directive);
 * console.log(plan.requests.map((handler) => handler.id)); // ['POST /hello']
 * ```
 */
export function compileDirective(directive: Directive, options: CompileOptions = {}): Plan {
  const context = planningContext(directive, options);
  const headless = options.headless ?? false;
  const lists = { requests: [], websockets: [], streams: [], schedules: [], headlessRoutes: [] } as { [K in keyof PlanLists]: PlanLists[K][number][] };
  const add = (list: keyof PlanLists, planned: PlannedHandler): void => {
    (lists[list] as PlannedHandler[]).push(planned);
  };
  if (headless) {
    for (const runnable of directive.runnables) add(headlessKind.list, headlessKind.plan(runnable, context));
  } else {
    for (const handler of directive.handlers) {
      const kind = handlerKindOf(handler);
      add(kind.list, kind.plan(handler, context));
    }
    if (options.runSchedules !== false) for (const schedule of directive.schedules) add(scheduleKind.list, scheduleKind.plan(schedule, context));
  }
  return { identifier: directive.identifier, appVersion: directive.appVersion, headless, ...lists };
}
