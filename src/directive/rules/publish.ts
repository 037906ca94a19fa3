/**
 * (e2rx) `capabilities.publish` rules (docs/reference/directive.md#capabilitiespublish-e2rx): well-formed allow patterns,
 * something allowed, and a connection to publish on.
 *
 * @module
 */
import { patternProblem } from '../publish-rules.js';
import type { Rule } from './context.js';

/** The publish capability: every pattern well-formed; when on, a non-empty `allow` and a NATS or Kafka connection. */
export const publishRule: Rule = ({ directive, report }) => {
  const publish = directive.capabilities?.publish;
  if (publish === undefined) return;
  const allow = publish.allow ?? [];
  allow.forEach((pattern, index) => {
    const problem = patternProblem(pattern);
    if (problem !== undefined) report(['capabilities', 'publish', 'allow', index], `publish pattern '${pattern}' is invalid: ${problem}`);
  });
  if (publish.enabled === false) return;
  if (allow.length === 0) {
    report(
      ['capabilities', 'publish'],
      "publish is enabled but allows nothing: list the subjects or topics functions may publish to in 'allow' (e.g. allow: [orders.>]), or set enabled: false",
      'error',
      'key',
    );
  }
  if (!directive.connections?.nats && !directive.connections?.kafka) {
    report(
      ['capabilities', 'publish'],
      'publish is enabled but the Directive has no connection to publish on: add connections.nats or connections.kafka, or set enabled: false',
      'error',
      'key',
    );
  }
};
