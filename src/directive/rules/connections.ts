/**
 * Connection rules (spec §1.7, §1.12).
 *
 * @module
 */
import { envReference } from '../env.js';
import { goUrlParseError } from '../go-url.js';
import type { DirectivePath } from '../problem.js';
import type { Rule, RuleContext } from './context.js';

function checkAddress(report: RuleContext['report'], path: DirectivePath, field: string, value: string | undefined): void {
  if (!value) {
    report(path, `${field} is empty`);
    return;
  }
  if (envReference(value) !== undefined) return;
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
