/**
 * The resolved capability configuration of an app (docs/reference/capabilities.md), after defaults, the Directive's `capabilities`,
 * `authentication`, `connections` and `queries` have been merged and `env(VAR)` values substituted.
 *
 * The Directive module produces it ({@link resolveCapabilities} in `src/directive/capabilities.ts`); the runtime and
 * the capability implementations consume it.
 *
 * @module
 */

/** Rules for outbound HTTP and GraphQL requests (docs/reference/capabilities.md `HTTPRules`). */
export interface HttpRules {
  /** If non-empty, an allow-list of host patterns (`*.example.com` matches labels right to left). */
  readonly allowedDomains: readonly string[];
  /** A block-list of host patterns, used when `allowedDomains` is empty. */
  readonly blockedDomains: readonly string[];
  /** Ports allowed besides 80 and 443. When this or `blockedPorts` is set, port rules apply. */
  readonly allowedPorts?: readonly number[];
  /** Ports refused. */
  readonly blockedPorts?: readonly number[];
  /** Whether URLs whose host is a literal IP are allowed. */
  readonly allowIPs: boolean;
  /** Whether hosts that are or resolve to private, loopback, link-local or otherwise non-global addresses are allowed. */
  readonly allowPrivate: boolean;
  /** Whether plain `http://` URLs are allowed. */
  readonly allowHTTP: boolean;
}

/** An `Authorization` header the host adds for one domain (docs/reference/directive.md#authentication); never visible to the guest. */
export interface AuthHeader {
  readonly headerType: string;
  readonly value: string;
}

/** A named SQL query (docs/reference/directive.md#queries), with its type and variable count resolved. */
export interface NamedQuery {
  readonly name: string;
  readonly query: string;
  readonly type: 'select' | 'insert' | 'update' | 'delete';
  readonly varCount: number;
}

/** A Redis connection (docs/reference/directive.md#connections), with `env(VAR)` resolved; `serverAddress` is `host:port` or a `redis://` URL. */
export interface RedisConfig {
  readonly serverAddress: string;
  readonly username: string;
  readonly password: string;
}

/** The SQL database connection (docs/reference/directive.md#connections), with `env(VAR)` resolved. */
export interface DatabaseConfig {
  readonly type: 'mysql' | 'postgresql';
  readonly connectionString: string;
}

/** Every capability's resolved configuration. */
export interface CapabilityConfig {
  readonly logger: { readonly enabled: boolean };
  readonly http: { readonly enabled: boolean; readonly rules: HttpRules; readonly timeoutMs: number; readonly maxResponseBytes: number };
  readonly graphql: { readonly enabled: boolean; readonly rules: HttpRules; readonly timeoutMs: number; readonly maxResponseBytes: number };
  readonly auth: { readonly enabled: boolean; readonly headers: Readonly<Record<string, AuthHeader>> };
  readonly cache: {
    readonly enabled: boolean;
    readonly rules: { readonly allowSet: boolean; readonly allowGet: boolean; readonly allowDelete: boolean };
    /** When set, the cache is Redis; otherwise in memory. */
    readonly redis?: RedisConfig;
    /** (e2rx) How many entries the in-memory cache keeps before evicting the oldest. */
    readonly maxEntries?: number;
  };
  readonly file: { readonly enabled: boolean };
  readonly db: { readonly enabled: boolean; readonly database?: DatabaseConfig; readonly queries: readonly NamedQuery[] };
  readonly requestHandler: { readonly enabled: boolean; readonly allowGetField: boolean; readonly allowSetField: boolean };
  readonly secrets: { readonly enabled: boolean; readonly allowedKeys: readonly string[] };
  /** (e2rx) Publishing from functions (`e2rx.publish`); off unless the Directive turns it on. */
  readonly publish: PublishRules;
}

/** (e2rx) The rules of `capabilities.publish` (docs/reference/directive.md#capabilitiespublish-e2rx). */
export interface PublishRules {
  readonly enabled: boolean;
  /** The subjects and topics functions may publish to: NATS wildcard patterns (`orders.*`, `audit.>`). */
  readonly allow: readonly string[];
  /** How many messages one call may buffer. */
  readonly maxMessages: number;
  /** How many bytes (targets, bodies, headers, keys) one call may buffer. */
  readonly maxBytes: number;
  /** The connections of the Directive a function can publish on. */
  readonly connections: { readonly nats: boolean; readonly kafka: boolean };
}

/** (e2rx) The default bound on the messages one call may publish. */
export const DEFAULT_PUBLISH_MAX_MESSAGES = 100;

/** (e2rx) The default bound on the bytes one call may publish. */
export const DEFAULT_PUBLISH_MAX_BYTES = 1024 * 1024;

/** The default rules: everything allowed (docs/reference/capabilities.md). */
export const DEFAULT_HTTP_RULES: HttpRules = {
  allowedDomains: [],
  blockedDomains: [],
  allowIPs: true,
  allowPrivate: true,
  allowHTTP: true,
};

/** The default client timeout of outbound HTTP and GraphQL requests (the original had none; a deviation). */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

/** The default cap on an outbound HTTP or GraphQL response body. */
export const DEFAULT_HTTP_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The default capability configuration: everything enabled, no network restrictions, no db, no secrets. */
export const DEFAULT_CAPABILITIES: CapabilityConfig = {
  logger: { enabled: true },
  http: { enabled: true, rules: DEFAULT_HTTP_RULES, timeoutMs: DEFAULT_HTTP_TIMEOUT_MS, maxResponseBytes: DEFAULT_HTTP_MAX_RESPONSE_BYTES },
  graphql: { enabled: true, rules: DEFAULT_HTTP_RULES, timeoutMs: DEFAULT_HTTP_TIMEOUT_MS, maxResponseBytes: DEFAULT_HTTP_MAX_RESPONSE_BYTES },
  auth: { enabled: true, headers: {} },
  cache: { enabled: true, rules: { allowSet: true, allowGet: true, allowDelete: true } },
  file: { enabled: true },
  db: { enabled: false, queries: [] },
  requestHandler: { enabled: true, allowGetField: true, allowSetField: true },
  secrets: { enabled: true, allowedKeys: [] },
  publish: {
    enabled: false,
    allow: [],
    maxMessages: DEFAULT_PUBLISH_MAX_MESSAGES,
    maxBytes: DEFAULT_PUBLISH_MAX_BYTES,
    connections: { nats: false, kafka: false },
  },
};
