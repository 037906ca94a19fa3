/**
 * A validated Directive as written to the normalised {@link Directive} the engine compiles.
 *
 * @module
 */
import { DEFAULT_NAMESPACE, findRunnable, formatFqfn } from './fqfn.js';
import {
  DEFAULT_FOR_EACH_CONCURRENCY,
  type Call,
  type Connections,
  type Directive,
  type ErrorDirective,
  type Handler,
  type OnErr,
  type Query,
  type Runnable,
  type Step,
} from './model.js';
import { inferQueryType, inferVarCount, type QueryType } from './queries.js';
import type { CallInput, DirectiveInput, HandlerInput, OnErrInput, StepInput } from './schema.js';
import type { RunnableEntry } from './rules/context.js';
import { classify, stateKeyOf } from './rules/steps.js';

/** Drops the keys whose value is `undefined` (for `exactOptionalPropertyTypes`). */
export function compact<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/**
 * Normalises a Directive that passed validation. `inferred` are the runnables found in the app's files, used when
 * the Directive lists none.
 */
export function normalizeDirective(input: DirectiveInput, inferred: readonly RunnableEntry[] = []): Directive {
  const identifier = input.identifier ?? '';
  const appVersion = input.appVersion ?? '';
  const listed = input.runnables && input.runnables.length > 0 ? input.runnables : inferred;
  const runnables: Runnable[] = listed.map((entry) => {
    const runnable = entry as { name?: string; namespace?: string; lang?: string; version?: string; apiVersion?: string };
    const name = runnable.name ?? '';
    const namespace = runnable.namespace || DEFAULT_NAMESPACE;
    const version = runnable.version || appVersion;
    return { name, namespace, lang: runnable.lang, version, apiVersion: runnable.apiVersion, fqfn: formatFqfn(identifier, namespace, name, appVersion) };
  });
  const app = { identifier, appVersion };
  const call = (input: CallInput & { fn?: string | undefined }, defaults: { with?: Record<string, string> | undefined; onErr?: OnErrInput | undefined } = {}): Call => {
    const fn = input.fn ?? '';
    const runnable = findRunnable(fn, runnables, app);
    return {
      fn,
      fqfn: runnable?.fqfn ?? fn,
      name: runnable?.name ?? fn,
      key: stateKeyOf(input),
      with: input.with ?? defaults.with ?? {},
      onErr: normalizeOnErr(input.onErr ?? defaults.onErr),
    };
  };
  const steps = (list: readonly StepInput[] | undefined): Step[] =>
    (list ?? []).map((step): Step => {
      const kind = classify(step);
      if (kind === 'group') {
        return {
          kind,
          calls: (step.group ?? []).map((member) => call(member, { with: step.with, onErr: step.onErr })),
          with: step.with ?? {},
          onErr: normalizeOnErr(step.onErr),
        };
      }
      if (kind === 'forEach') {
        const forEach = step.forEach ?? {};
        return { kind, in: forEach.in ?? '', call: call(forEach), concurrency: forEach.concurrency ?? DEFAULT_FOR_EACH_CONCURRENCY };
      }
      return { kind: 'fn', call: call(step) };
    });
  const database = input.connections?.database;
  const databaseType = database?.type === 'mysql' ? 'mysql' : 'postgresql';
  const queries: Query[] = [...(input.queries ?? []), ...(input.capabilities?.db?.queries ?? [])].map((query) => {
    const text = query.query ?? '';
    return {
      name: query.name ?? '',
      query: text,
      type: ((query.type || inferQueryType(text)) ?? 'select') as QueryType,
      varCount: query.varCount ?? inferVarCount(text, databaseType),
    };
  });
  return {
    identifier,
    appVersion,
    atmoVersion: input.atmoVersion ?? '',
    headless: input.headless ?? false,
    connections: normalizeConnections(input),
    authentication: {
      domains: Object.fromEntries(
        Object.entries(input.authentication?.domains ?? {}).map(([domain, header]) => [
          domain,
          { headerType: header.headerType || 'bearer', value: header.value ?? '' },
        ]),
      ),
    },
    capabilities: input.capabilities ?? {},
    handlers: (input.handlers ?? []).map((handler) => normalizeHandler(handler, steps(handler.steps))),
    schedules: (input.schedules ?? []).map((schedule) => {
      const every = schedule.every ?? {};
      const seconds = (every.seconds ?? 0) + 60 * (every.minutes ?? 0) + 3600 * (every.hours ?? 0) + 86_400 * (every.days ?? 0);
      return {
        name: schedule.name ?? '',
        everyMs: seconds * 1000,
        ...(schedule.cron === undefined ? {} : { cron: schedule.cron.trim() }),
        ...(schedule.timeZone === undefined ? {} : { timeZone: schedule.timeZone }),
        ...(schedule.lease === undefined ? {} : { lease: schedule.lease }),
        state: schedule.state ?? {},
        steps: steps(schedule.steps),
      };
    }),
    queries,
    runnables,
    limits: compact({ ...input.limits }),
    auth: input.auth,
    runtime: compact({ ...input.runtime }),
  };
}

function normalizeHandler(handler: HandlerInput, steps: Step[]): Handler {
  const isStream = handler.type === 'stream';
  const source = !isStream ? 'http' : handler.source === 'nats' || handler.source === 'kafka' ? handler.source : 'server';
  const retries = handler.retries;
  return {
    type: isStream ? 'stream' : 'request',
    source,
    resource: handler.resource ?? '',
    method: source === 'http' ? (handler.method ?? '').toUpperCase() : source === 'server' ? 'GET' : '',
    steps,
    response: handler.response || undefined,
    respondTo: handler.respondTo || undefined,
    limits: compact({ ...handler.limits }),
    queueGroup: handler.queueGroup,
    consumerGroup: handler.consumerGroup,
    ordering: handler.ordering ?? 'partition',
    delivery: handler.delivery ?? 'at-least-once',
    jetstream: handler.jetstream ? compact({ ...handler.jetstream }) : undefined,
    deadLetter: handler.deadLetter,
    retries: retries ? { max: retries.max ?? 3, backoffMs: retries.backoffMs ?? 100 } : undefined,
    auth: handler.auth,
  };
}

function normalizeConnections(input: DirectiveInput): Connections {
  const connections = input.connections ?? {};
  return compact({
    nats: connections.nats ? { serverAddress: connections.nats.serverAddress ?? '' } : undefined,
    kafka: connections.kafka
      ? compact({
          brokerAddress: connections.kafka.brokerAddress ?? '',
          sessionTimeoutMs: connections.kafka.sessionTimeoutMs,
          heartbeatIntervalMs: connections.kafka.heartbeatIntervalMs,
          driver: connections.kafka.driver,
        })
      : undefined,
    redis: connections.redis
      ? { serverAddress: connections.redis.serverAddress ?? '', username: connections.redis.username ?? '', password: connections.redis.password ?? '' }
      : undefined,
    database: connections.database
      ? { type: connections.database.type === 'mysql' ? ('mysql' as const) : ('postgresql' as const), connectionString: connections.database.connectionString ?? '' }
      : undefined,
  });
}

function normalizeOnErr(input: OnErrInput | undefined): OnErr | undefined {
  if (!input) return undefined;
  const code = new Map<number, ErrorDirective>();
  for (const [key, value] of Object.entries(input.code ?? {})) code.set(Number(key), value as ErrorDirective);
  return compact({ code, any: input.any as ErrorDirective | undefined, other: input.other as ErrorDirective | undefined });
}
