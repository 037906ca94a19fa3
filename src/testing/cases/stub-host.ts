/**
 * The capabilities of one case answered from its stubs, synchronously: cache contents, HTTP and GraphQL responses by
 * URL, db results by query name, and the app's static files read ahead. Being synchronous, they let a whole run stay
 * on the calling thread (the runtime's inline mode), so a case runs in virtual time.
 *
 * The gates come first, as in the real capabilities and with their texts: a capability the Directive does not enable
 * answers `capability is not enabled`; a db query the Directive lacks, or called with the wrong type or number of
 * variables, answers the real capability's error. A call that no stub answers fails with a message that says which
 * stub to add.
 *
 * @module
 */
import { CAPABILITY_NOT_ENABLED, errorResult, statusResult, textResult } from '../../capabilities/results.js';
import type { CapabilityConfig } from '../../directive/capability-config.js';
import { KEY_NOT_FOUND } from '../../capabilities/cache.js';
import { DB_ERRORS, QUERY_TYPES } from '../../capabilities/db.js';
import { FILE_DOES_NOT_EXIST, FILE_NAME_REFUSED, isUnsafeStaticFileName } from '../../capabilities/file.js';
import type { HostCallResult } from '../../capabilities/host-services.js';
import { fetchMethod, parseFetchUrl } from '../../capabilities/http.js';
import type { HostRequest } from '../../runtime/host-env.js';
import type { HttpStub, RealCapability, Stubs } from './case-schema.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The stubs of one case, ready to answer host calls. */
export interface StubHost {
  /** The answer to a host call, or `undefined` when its capability is real (not stubbed). */
  answer(request: HostRequest): HostCallResult | undefined;
  /** The cache as the run left it (when the cache is stubbed). */
  readonly cache: ReadonlyMap<string, Uint8Array>;
}

/** What a {@link StubHost} answers from. */
export interface StubHostOptions {
  readonly capabilities: CapabilityConfig;
  /** The file's stubs, then the case's (a case's key wins). */
  readonly stubs: Stubs;
  /** The capabilities used for real: their calls are not answered here. */
  readonly real: ReadonlySet<RealCapability>;
  /** The app's static files, by name under `static/`. */
  readonly staticFiles: ReadonlyMap<string, Uint8Array>;
}

/**
 * Creates the stubs of one case.
 *
 * @example
 * ```ts
 * const host = createStubHost({ capabilities, stubs: { cache: { hits: '41' } }, real: new Set(), staticFiles: new Map() });
 * host.answer({ op: 'cacheGet', key: 'hits' }); // { kind: 'data', data: '41' as bytes }
 * ```
 */
export function createStubHost(options: StubHostOptions): StubHost {
  const { capabilities: config, stubs, real } = options;
  const cache = new Map<string, Uint8Array>(Object.entries(stubs.cache ?? {}).map(([key, value]) => [key, encoder.encode(value)]));
  const answer = (request: HostRequest): HostCallResult | undefined => {
    switch (request.op) {
      case 'cacheGet': {
        if (real.has('cache')) return undefined;
        if (!config.cache.enabled || !config.cache.rules.allowGet) return errorResult(CAPABILITY_NOT_ENABLED);
        const value = cache.get(request.key);
        return value === undefined ? errorResult(KEY_NOT_FOUND) : { kind: 'data', data: value };
      }
      case 'cacheSet':
        if (real.has('cache')) return undefined;
        if (!config.cache.enabled || !config.cache.rules.allowSet) return statusResult(-2);
        cache.set(request.key, new Uint8Array(request.value));
        return statusResult(0);
      case 'fetchUrl': {
        if (real.has('http')) return undefined;
        const method = fetchMethod(request.method);
        const parsed = parseFetchUrl(request.url);
        if (method === undefined || parsed === undefined) return statusResult(-2);
        if (!config.http.enabled) return errorResult(CAPABILITY_NOT_ENABLED);
        const stub = stubs.http?.[`${method} ${parsed.url}`] ?? stubs.http?.[parsed.url];
        if (stub === undefined) return errorResult(`e2rx test: no stub for ${method} ${parsed.url}: add it under stubs.http, or list http under real`);
        return httpAnswer(stub);
      }
      case 'graphqlQuery': {
        if (real.has('graphql')) return undefined;
        if (!config.graphql.enabled) return errorResult(CAPABILITY_NOT_ENABLED);
        const stub = stubs.graphql?.[request.endpoint];
        if (stub === undefined) return errorResult(`e2rx test: no stub for the GraphQL endpoint ${request.endpoint}: add it under stubs.graphql, or list graphql under real`);
        return httpAnswer(stub);
      }
      case 'dbExec':
        return real.has('db') ? undefined : dbAnswer(config, stubs, request);
      case 'getStaticFile': {
        if (!config.file.enabled) return errorResult(CAPABILITY_NOT_ENABLED);
        if (isUnsafeStaticFileName(request.name)) return errorResult(FILE_NAME_REFUSED);
        const file = options.staticFiles.get(staticName(request.name));
        return file === undefined ? errorResult(FILE_DOES_NOT_EXIST) : { kind: 'data', data: file };
      }
    }
  };
  return { answer, cache };
}

/** The body of a stubbed response, or the error `<status>: <body>` of the real capability past 299. */
function httpAnswer(stub: HttpStub): HostCallResult {
  const body = stubBody(stub);
  const status = stub.status ?? 200;
  return status > 299 ? errorResult(`${status}: ${decoder.decode(body)}`) : { kind: 'data', data: body };
}

/** The bytes of a `body:` or `json:` (a value written as YAML, sent as JSON). */
export function stubBody(value: { readonly body?: string | undefined; readonly json?: unknown }): Uint8Array {
  if (value.json !== undefined) return encoder.encode(JSON.stringify(value.json));
  return encoder.encode(value.body ?? '');
}

function dbAnswer(config: CapabilityConfig, stubs: Stubs, request: Extract<HostRequest, { op: 'dbExec' }>): HostCallResult {
  // A database whose address comes from an unset variable (DATABASE_URL in a test run) counts as configured: the
  // stubs stand for it. One the Directive does not have, or disables, does not.
  const database = config.db.database;
  if (database === undefined || !(config.db.enabled || database.connectionString === '')) return errorResult(CAPABILITY_NOT_ENABLED);
  const type = QUERY_TYPES[request.queryType];
  if (type === undefined) return errorResult(DB_ERRORS.queryTypeInvalid);
  const query = config.db.queries.find((candidate) => candidate.name === request.name);
  if (query === undefined) return errorResult(DB_ERRORS.queryNotFound);
  if (query.type !== type) return errorResult(DB_ERRORS.queryTypeIncorrect);
  if (query.varCount !== request.variables.length) {
    return errorResult(`${DB_ERRORS.varsIncorrect}: expected ${query.varCount} variables, got ${request.variables.length}`);
  }
  const stub = stubs.db?.[request.name];
  if (stub === undefined) return errorResult(`e2rx test: no stub for the query ${request.name}: add it under stubs.db, or list db under real`);
  if (isErrorStub(stub)) return errorResult(stub.error);
  return textResult(JSON.stringify(stub));
}

function isErrorStub(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { error?: unknown }).error === 'string';
}

/** A static file name as the app's reader normalises it: a leading `static/`, `/` and `./` stripped. */
function staticName(name: string): string {
  let rest = name;
  if (rest.startsWith('static/')) rest = rest.slice('static/'.length);
  if (rest.startsWith('/')) rest = rest.slice(1);
  if (rest.startsWith('./')) rest = rest.slice(2);
  return rest;
}

/**
 * The stubs of a case over those of its file, key by key.
 *
 * @example
 * ```ts
 * mergeStubs({ secrets: { A: '1' } }, { secrets: { B: '2' } }); // { secrets: { A: '1', B: '2' } }
 * ```
 */
export function mergeStubs(file: Stubs | undefined, own: Stubs | undefined): Stubs {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const stubs of [file, own]) {
    for (const [capability, entries] of Object.entries(stubs ?? {})) merged[capability] = { ...(merged[capability] ?? {}), ...(entries as Record<string, unknown>) };
  }
  return merged;
}
