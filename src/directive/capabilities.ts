/**
 * The capability configuration of an app (docs/reference/capabilities.md), merged in Atmo v0.4.x's order: defaults, then each
 * capability object given in the Directive (replacing that capability's default wholesale), then
 * `connections.redis` for the cache, `connections.database` plus `queries` for db, `authentication.domains` for auth
 * (wired again: v0.4.3–v0.4.7 forgot it; see docs/deviations.md). `env(VAR)` values are resolved here.
 *
 * Deviation: a key left out of a given capability object takes its documented default (`enabled: true`, every rule
 * permissive) instead of Go's zero value (`false`), so `http: { rules: { allowPrivate: false } }` keeps http enabled.
 *
 * @module
 */
import {
  DEFAULT_CAPABILITIES,
  DEFAULT_HTTP_MAX_RESPONSE_BYTES,
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_PUBLISH_MAX_BYTES,
  DEFAULT_PUBLISH_MAX_MESSAGES,
  type AuthHeader,
  type CapabilityConfig,
  type HttpRules,
  type RedisConfig,
} from './capability-config.js';
import { resolveEnv } from './env.js';
import type { Directive } from './model.js';
import { compact } from './normalize.js';
import type { HttpRulesInput } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves the capability configuration of a Directive.
 *
 * @example
 * ```ts
 * import { parseDirective } from 'e2rx';
 * import { resolveCapabilities } from './capabilities.js'; // internal
 * const { directive } = parseDirective(text);
 * if (directive) console.log(resolveCapabilities(directive, process.env).http.rules);
 * ```
 */
export function resolveCapabilities(directive: Directive, env: Env = process.env): CapabilityConfig {
  const given = directive.capabilities;
  const outbound = (input: NonNullable<typeof given.http> | undefined, fallback: CapabilityConfig['http']): CapabilityConfig['http'] =>
    input
      ? {
          enabled: input.enabled ?? true,
          rules: httpRules(input.rules),
          timeoutMs: input.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
          maxResponseBytes: input.maxResponseBytes ?? DEFAULT_HTTP_MAX_RESPONSE_BYTES,
        }
      : fallback;
  const authHeaders: Record<string, AuthHeader> = {};
  for (const [host, header] of Object.entries(given.auth?.headers ?? {})) {
    authHeaders[host] = { headerType: header.headerType || 'bearer', value: resolveEnv(header.value ?? '', env) };
  }
  for (const [host, header] of Object.entries(directive.authentication.domains)) {
    authHeaders[host] = { headerType: header.headerType, value: resolveEnv(header.value, env) };
  }
  const cacheRedis = given.cache?.redis ?? directive.connections.redis;
  const dbGiven = given.db;
  const database = directive.connections.database;
  const dbConnection =
    dbGiven?.enabled && dbGiven.connectionString
      ? { type: dbGiven.dbType === 'mysql' ? ('mysql' as const) : ('postgresql' as const), connectionString: resolveEnv(dbGiven.connectionString, env) }
      : database
        ? { type: database.type, connectionString: resolveEnv(database.connectionString, env) }
        : undefined;
  return {
    logger: given.logger ? { enabled: given.logger.enabled ?? true } : DEFAULT_CAPABILITIES.logger,
    http: outbound(given.http, DEFAULT_CAPABILITIES.http),
    graphql: outbound(given.graphql, DEFAULT_CAPABILITIES.graphql),
    auth: { enabled: given.auth ? (given.auth.enabled ?? true) : true, headers: authHeaders },
    cache: compact({
      enabled: given.cache ? (given.cache.enabled ?? true) : true,
      rules: {
        allowSet: given.cache?.rules?.allowSet ?? true,
        allowGet: given.cache?.rules?.allowGet ?? true,
        allowDelete: given.cache?.rules?.allowDelete ?? true,
      },
      redis: cacheRedis ? redisConfig(cacheRedis, env) : undefined,
      maxEntries: given.cache?.maxEntries,
    }),
    file: given.file ? { enabled: given.file.enabled ?? true } : DEFAULT_CAPABILITIES.file,
    db: compact({
      enabled: dbConnection !== undefined && dbConnection.connectionString !== '' && (dbGiven?.enabled ?? true),
      database: dbConnection,
      queries: directive.queries,
    }),
    requestHandler: given.requestHandler
      ? {
          enabled: given.requestHandler.enabled ?? true,
          allowGetField: given.requestHandler.allowGetField ?? true,
          allowSetField: given.requestHandler.allowSetField ?? true,
        }
      : DEFAULT_CAPABILITIES.requestHandler,
    secrets: given.secrets
      ? { enabled: given.secrets.enabled ?? true, allowedKeys: given.secrets.env?.allowedKeys ?? [] }
      : DEFAULT_CAPABILITIES.secrets,
    publish: {
      // (e2rx) Opt-in: a given block is on unless it says otherwise; without one, functions cannot publish.
      enabled: given.publish ? (given.publish.enabled ?? true) : false,
      allow: given.publish?.allow ?? [],
      maxMessages: given.publish?.maxMessages ?? DEFAULT_PUBLISH_MAX_MESSAGES,
      maxBytes: given.publish?.maxBytes ?? DEFAULT_PUBLISH_MAX_BYTES,
      connections: { nats: directive.connections.nats !== undefined, kafka: directive.connections.kafka !== undefined },
    },
  };
}

/**
 * (e2rx) The connections functions can publish on: those the Directive has, when `capabilities.publish` is on. The
 * engine opens them even for an app without NATS or Kafka handlers.
 *
 * @example
 * ```ts
 * if (publishConnections(directive).kafka) console.log('functions may produce to Kafka');
 * ```
 */
export function publishConnections(directive: Directive): { readonly nats: boolean; readonly kafka: boolean } {
  const publish = directive.capabilities.publish;
  const enabled = publish !== undefined && (publish.enabled ?? true);
  return { nats: enabled && directive.connections.nats !== undefined, kafka: enabled && directive.connections.kafka !== undefined };
}

function httpRules(input: HttpRulesInput | undefined): HttpRules {
  if (!input) return DEFAULT_CAPABILITIES.http.rules;
  return compact({
    allowedDomains: input.allowedDomains ?? [],
    blockedDomains: input.blockedDomains ?? [],
    allowedPorts: input.allowedPorts,
    blockedPorts: input.blockedPorts,
    allowIPs: input.allowIPs ?? true,
    allowPrivate: input.allowPrivate ?? true,
    allowHTTP: input.allowHTTP ?? true,
  });
}

function redisConfig(input: { serverAddress?: string | undefined; username?: string | undefined; password?: string | undefined }, env: Env): RedisConfig {
  return {
    serverAddress: resolveEnv(input.serverAddress ?? '', env),
    username: resolveEnv(input.username ?? '', env),
    password: resolveEnv(input.password ?? '', env),
  };
}
