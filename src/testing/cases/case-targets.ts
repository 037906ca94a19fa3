/**
 * What each case runs: the handler its request routes to (with the path parameters), the stream handler its message
 * goes to, or the schedule it ticks; and the checks that need the app (an expectation that its input can never
 * meet, a stub of a query the Directive does not have, a regular expression that does not compile). Each problem is
 * located in the case file.
 *
 * @module
 */
import findMyWay, { type HTTPMethod } from 'find-my-way';
import type { ParsedYaml } from '../../directive/parse.js';
import type { Problem } from '../../directive/problem.js';
import { toRouterPath } from '../../directive/rules/routes.js';
import type { Directive } from '../../directive/model.js';
import type { HandlerPlan, Plan, SchedulePlan } from '../../handlers/plan.js';
import type { CaseFileInput, CaseInput } from './case-schema.js';

/** What a case runs. */
export type CaseTarget =
  | { readonly kind: 'request'; readonly handler: HandlerPlan; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'message'; readonly handler: HandlerPlan }
  | { readonly kind: 'tick'; readonly schedule: SchedulePlan };

/** A case ready to run: as written, with its target and the file's stubs merged under its own. */
export interface ResolvedCase {
  readonly index: number;
  readonly input: CaseInput;
  readonly target: CaseTarget;
}

/**
 * Resolves every case of a file against the app's plan; returns the cases, or every problem found.
 *
 * @example
 * ```ts
 * const resolved = resolveCases(outcome.cases, outcome.yaml, compileDirective(app.directive), app.directive);
 * ```
 */
export function resolveCases(
  file: CaseFileInput,
  yaml: ParsedYaml,
  plan: Plan,
  directive: Directive,
): { readonly cases: readonly ResolvedCase[]; readonly problems: readonly Problem[] } {
  const problems: Problem[] = [];
  const route = router(plan);
  const queries = new Set(directive.queries.map((query) => query.name));
  const checkStubs = (stubs: CaseInput['stubs'], at: (string | number)[]): void => {
    for (const name of Object.keys(stubs?.db ?? {})) {
      if (!queries.has(name)) {
        const known = [...queries].join(', ') || 'none';
        problems.push(yaml.problem([...at, 'db', name], `stubs.db: the Directive has no query '${name}' (its queries: ${known})`, 'error', 'key'));
      }
    }
  };
  checkStubs(file.stubs, ['stubs']);
  const cases: ResolvedCase[] = [];
  file.cases.forEach((input, index) => {
    const at = ['cases', index];
    const before = problems.length;
    checkStubs(input.stubs, [...at, 'stubs']);
    for (const capability of input.real ?? []) {
      if (input.stubs?.[capability] !== undefined || file.stubs?.[capability] !== undefined) {
        problems.push(yaml.problem([...at, 'real'], `${capability} is both stubbed and real in case '${input.name}': keep one`));
      }
    }
    if (input.real?.includes('cache') === true && input.expect.cache !== undefined) {
      problems.push(yaml.problem([...at, 'expect', 'cache'], 'expect.cache reads the stubbed cache: it cannot check a real one (real: [cache])', 'error', 'key'));
    }
    checkRegexes(input, yaml, at, problems);
    const inputs = (['request', 'message', 'tick'] as const).filter((key) => input[key] !== undefined);
    if (inputs.length !== 1) {
      const what = inputs.length === 0 ? 'has no input' : `has ${inputs.join(' and ')}`;
      problems.push(yaml.problem(at, `case '${input.name}' ${what}: give it exactly one of request (HTTP), message (NATS, Kafka) or tick (a schedule)`));
      return;
    }
    const target = targetOf(input, plan, route, yaml, at, problems);
    if (target === undefined) return;
    checkExpectations(input, target, yaml, at, problems);
    if (problems.length === before) cases.push({ index, input, target });
  });
  return { cases, problems };
}

type Route = (method: string, path: string) => { handler: HandlerPlan; params: Record<string, string> } | undefined;

/** The request handlers' routes, matched as the server matches them. */
function router(plan: Plan): Route {
  const routes = findMyWay({ ignoreTrailingSlash: false, maxParamLength: 10_000 });
  for (const handler of plan.requests) {
    const { path, catchAll } = toRouterPath(handler.handler.resource);
    routes.on(handler.handler.method as HTTPMethod, path, () => undefined, { handler, catchAll });
  }
  return (method, url) => {
    const path = url.split('?')[0] ?? url;
    const found = routes.find(method as HTTPMethod, path);
    if (found === null) return undefined;
    const store = found.store as { handler: HandlerPlan; catchAll: string | undefined };
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(found.params)) {
      if (value !== undefined) params[name === '*' && store.catchAll !== undefined ? store.catchAll : name] = value;
    }
    return { handler: store.handler, params };
  };
}

function targetOf(input: CaseInput, plan: Plan, route: Route, yaml: ParsedYaml, at: (string | number)[], problems: Problem[]): CaseTarget | undefined {
  if (input.request !== undefined) {
    const method = (input.request.method ?? 'GET').toUpperCase();
    const found = route(method, input.request.path);
    if (found !== undefined) return { kind: 'request', handler: found.handler, params: found.params };
    const known = plan.requests.map((handler) => handler.id).join(', ') || 'none';
    problems.push(yaml.problem([...at, 'request', 'path'], `no request handler answers ${method} ${input.request.path} (the app has: ${known})`));
    return undefined;
  }
  if (input.message !== undefined) {
    const wanted = input.message.handler;
    const candidates = plan.streams.filter((handler) => wanted === undefined || handler.id === wanted || handler.handler.resource === wanted);
    const [handler] = candidates;
    if (handler !== undefined && candidates.length === 1) return { kind: 'message', handler };
    const known = plan.streams.map((candidate) => candidate.id).join(', ') || 'none';
    const why =
      candidates.length > 1
        ? `the app has ${candidates.length} stream handlers: name one with message.handler`
        : `no NATS or Kafka handler ${wanted === undefined ? '' : `'${wanted}' `}in the app`;
    problems.push(yaml.problem([...at, 'message', ...(wanted === undefined ? [] : ['handler'])], `${why} (the app has: ${known})`));
    return undefined;
  }
  const schedule = plan.schedules.find((candidate) => candidate.schedule.name === input.tick);
  if (schedule !== undefined) return { kind: 'tick', schedule };
  const known = plan.schedules.map((candidate) => candidate.schedule.name).join(', ') || 'none';
  problems.push(yaml.problem([...at, 'tick'], `no schedule '${input.tick ?? ''}' in the app (its schedules: ${known})`));
  return undefined;
}

/** Expectations that the case's input can never meet are problems of the file, not failures of the run. */
function checkExpectations(input: CaseInput, target: CaseTarget, yaml: ParsedYaml, at: (string | number)[], problems: Problem[]): void {
  const expect = input.expect;
  const where = [...at, 'expect'];
  if (Object.keys(expect).length === 0) problems.push(yaml.problem(where, `case '${input.name}' expects nothing: a case must check something`));
  const only = (keys: readonly (keyof typeof expect)[], kind: CaseTarget['kind'], what: string): void => {
    if (target.kind === kind) return;
    for (const key of keys) if (expect[key] !== undefined) problems.push(yaml.problem([...where, key], `expect.${key} applies to ${what} only`, 'error', 'key'));
  };
  only(['status', 'headers'], 'request', 'request cases (HTTP)');
  only(['published', 'deadLetter'], 'message', 'message cases (NATS, Kafka)');
  if (target.kind === 'message') {
    if (expect.published !== undefined && expect.published !== false && target.handler.handler.respondTo === undefined) {
      problems.push(yaml.problem([...where, 'published'], `handler ${target.handler.id} has no respondTo: it publishes nothing`));
    }
    if (expect.deadLetter !== undefined && expect.deadLetter !== false && target.handler.handler.deadLetter === undefined) {
      problems.push(yaml.problem([...where, 'deadLetter'], `handler ${target.handler.id} has no deadLetter`));
    }
  }
}

/** Every `match` of the case must compile. */
function checkRegexes(input: CaseInput, yaml: ParsedYaml, at: (string | number)[], problems: Problem[]): void {
  const expect = input.expect;
  const patterns: [readonly (string | number)[], string | undefined][] = [
    [['expect', 'match'], expect.match],
    [['expect', 'published', 'match'], expect.published === false ? undefined : expect.published?.match],
    [['expect', 'deadLetter', 'match'], expect.deadLetter === false ? undefined : expect.deadLetter?.match],
    ...(expect.logs ?? []).map((log, index): [readonly (string | number)[], string | undefined] => [['expect', 'logs', index, 'match'], log.match]),
  ];
  for (const [path, pattern] of patterns) {
    if (pattern === undefined) continue;
    try {
      new RegExp(pattern);
    } catch (error) {
      problems.push(yaml.problem([...at, ...path], `not a regular expression: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}
