/**
 * Connection rules (docs/reference/directive.md#connections).
 *
 * @module
 */
import { envReference } from '../env.js';
import { goUrlParseError } from '../go-url.js';
import type { DirectivePath } from '../problem.js';
import type { Rule, RuleContext } from './context.js';

/**
 * A bare `host:port` (`127.0.0.1:6379`, `[::1]:4222`, `redis:6379`): what Atmo Directives carry for Redis, NATS and
 * Kafka, accepted although Go's URL parser refuses it when the host starts with a digit.
 */
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

function checkAddress(report: RuleContext['report'], path: DirectivePath, field: string, value: string | undefined): void {
  if (!value) {
    report(path, `${field} is empty`);
    return;
  }
  if (envReference(value) !== undefined || HOST_PORT.test(value)) return;
  const error = goUrlParseError(value);
  if (error) report(path, `failed to parse ${field} as URL: ${error}`);
}

/** NATS, Kafka, Redis and database connection rules. */
export const connectionsRule: Rule = ({ directive, report }) => {
  const connections = directive.connections;
  if (!connections) return;
  if (connections.nats) checkAddress(report, ['connections', 'nats', 'serverAddress'], 'serverAddress', connections.nats.serverAddress);
  if (connections.kafka) checkAddress(report, ['connections', 'kafka', 'brokerAddress'], 'brokerAddress', connections.kafka.brokerAddress);
  if (connections.redis) checkAddress(report, ['connections', 'redis', 'serverAddress'], 'serverAddress', connections.redis.serverAddress);
  const database = connections.database;
  if (database) {
    if (database.type !== 'mysql' && database.type !== 'postgresql') {
      report(['connections', 'database', 'type'], `database type ${database.type ?? ''} is invalid, must be 'mysql' or 'postgresql'`);
    }
    if (!database.connectionString) report(['connections', 'database', 'connectionString'], 'database connectionString is empty');
  }
};

/** Authentication rule: every domain needs a value. */
export const authenticationRule: Rule = ({ directive, report }) => {
  for (const [domain, header] of Object.entries(directive.authentication?.domains ?? {})) {
    if (!header.value) report(['authentication', 'domains', domain, 'value'], `authentication for domain ${domain} has an empty value`);
  }
};
