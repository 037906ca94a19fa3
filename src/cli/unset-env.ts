/**
 * `env(VAR)` values of a Directive whose variable is unset, found before the engine starts: an unset variable is
 * the empty string (as in Atmo; docs/reference/directive.md#the-envvar-rule), which for an address gives messages such as `invalid Redis server address ""`
 * that name neither the variable nor the key.
 *
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { envReference } from '../directive/env.js';

/** One `env(VAR)` value whose variable is unset or empty. */
export interface UnsetEnvReference {
  /** The variable. */
  readonly name: string;
  /** Where the value sits: `connections.redis.serverAddress`. */
  readonly key: string;
  /** `file:line:col` of the value. */
  readonly at: string;
  /** Whether the key can never work empty (an address or a connection string): then `start` refuses to go on. */
  readonly required: boolean;
}

/** The keys that name a server: empty, they can only fail (or, for a database, silently disable the capability). */
const REQUIRED_KEYS = new Set([
  'connections.nats.serverAddress',
  'connections.kafka.brokerAddress',
  'connections.redis.serverAddress',
  'connections.database.connectionString',
  'capabilities.cache.redis.serverAddress',
  'capabilities.db.connectionString',
]);

/** The `auth` keys (app-wide or a handler's) whose empty value would let anyone in, or refuse everyone. */
const REQUIRED_AUTH_KEY = /^(?:handlers\.\d+\.)?auth\.(?:jwt\.(?:secret|publicKey|jwksUrl)|apiKeys\.keys\.[^.]+)$/;

/**
 * Every value of the Directive `text` that is `env(VAR)` with `VAR` unset or empty in `env`, in document order.
 * A YAML error yields nothing: the loader reports it.
 *
 * @example
 * ```ts
 * findUnsetEnv('connections:\n  redis:\n    serverAddress: env(REDIS_URL)\n', 'Directive.yaml', {});
 * // [{ name: 'REDIS_URL', key: 'connections.redis.serverAddress', at: 'Directive.yaml:3:20', required: true }]
 * ```
 */
export function findUnsetEnv(text: string, file: string, env: Readonly<Record<string, string | undefined>>): UnsetEnvReference[] {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  if (document.errors.length > 0) return [];
  const found: UnsetEnvReference[] = [];
  const visit = (node: unknown, path: readonly string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, String(index)]));
    } else if (isScalar(node) && typeof node.value === 'string') {
      const name = envReference(node.value);
      if (name === undefined || (env[name] ?? '') !== '') return;
      const position = lines.linePos((node as Node).range?.[0] ?? 0);
      const key = path.join('.');
      found.push({ name, key, at: `${file}:${position.line}:${position.col}`, required: REQUIRED_KEYS.has(key) || REQUIRED_AUTH_KEY.test(key) });
    }
  };
  visit(document.contents, []);
  return found;
}

/** `env(REDIS_URL) is unset: connections.redis.serverAddress (Directive.yaml:3:20) is empty` */
export function describeUnsetEnv(reference: UnsetEnvReference): string {
  return `env(${reference.name}) is unset: ${reference.key} (${reference.at}) is empty`;
}
