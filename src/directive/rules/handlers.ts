/**
 * Handler rules (docs/reference/directive.md#handlers), the e2rx extensions' consistency, and route conflicts.
 *
 * @module
 */
import type { HandlerInput } from '../schema.js';
import type { Rule, RuleContext } from './context.js';
import { findRouteConflicts, type RouteEntry } from './routes.js';
import { checkSteps, classify } from './steps.js';
import { authStateKeys } from './auth.js';

/** The label the original used in step messages: `<METHOD> <resource>` (just the resource for streams). */
export function handlerLabel(handler: HandlerInput): string {
  return handler.method ? `${handler.method} ${handler.resource ?? ''}` : (handler.resource ?? '');
}

/** Every handler rule, then the route conflicts across handlers. */
export const handlersRule: Rule = (context) => {
  const routes: RouteEntry[] = [];
  (context.directive.handlers ?? []).forEach((handler, index) => {
    const route = checkHandler(context, handler, index);
    if (route) routes.push(route);
  });
  for (const conflict of findRouteConflicts(routes)) context.report(['handlers', conflict.index, conflict.key], conflict.message);
};

function checkHandler(context: RuleContext, handler: HandlerInput, index: number): RouteEntry | undefined {
  const { directive, report } = context;
  const path = ['handlers', index];
  const resource = handler.resource ?? '';
  let route: RouteEntry | undefined;
  if (handler.type !== 'request' && handler.type !== 'stream') {
    report([...path, 'type'], `handler for resource ${resource} has invalid type, must be 'request' or 'stream'`);
  }
  // Without a resource the input cannot be checked, but the extensions and the steps still are (as in the original).
  if (!resource) report([...path, 'resource'], `handler at position ${index} missing resource`);
  const leadingSlash = (): boolean => {
    if (resource.startsWith('/')) return true;
    report([...path, 'resource'], `handler resource must begin with leading slash '/': ${resource}`);
    return false;
  };
  const source = handler.source ?? '';
  if (resource && handler.type === 'request') {
    const slash = leadingSlash();
    if (!handler.method) {
      report([...path, 'method'], `handler for resource ${resource} has type 'request', but does not specify a method`);
    } else {
      if (handler.method !== handler.method.toUpperCase()) {
        report(
          [...path, 'method'],
          `handler for resource ${resource} has method '${handler.method}': HTTP methods are case-sensitive and Atmo would never match it; e2rx serves it as ${handler.method.toUpperCase()}, but write '${handler.method.toUpperCase()}'`,
          'warning',
        );
      }
      if (slash) route = { index, method: handler.method.toUpperCase(), path: resource };
    }
    if (handler.respondTo) {
      report([...path, 'respondTo'], `handler for resource ${resource} has type 'request', but defines a 'respondTo' field, which only valid for type 'stream'`);
    }
  } else if (resource && handler.type === 'stream') {
    if (source === '' || source === 'server') {
      if (leadingSlash()) route = { index, method: 'GET', path: resource };
      if (handler.respondTo) {
        report([...path, 'respondTo'], `handler for resource ${resource} is a websocket stream: 'respondTo' is ignored (the reply goes back on the socket)`, 'warning');
      }
    } else if (source === 'nats' || source === 'kafka') {
      if (!directive.connections?.[source]) report([...path, 'source'], `handler for resource ${resource} references source ${source} that is not configured`);
    } else {
      report([...path, 'source'], `handler for resource ${resource} references source ${source} that does not exist`);
    }
  }
  checkExtensions(context, handler, index, source);
  const steps = handler.steps ?? [];
  if (steps.length === 0) {
    report([...path, 'steps'], `handler for resource ${resource} missing steps`);
    return route;
  }
  const label = handlerLabel(handler);
  const available = checkSteps(context, steps, [...path, 'steps'], 'handler', label, authStateKeys(directive.auth, handler));
  const last = steps[steps.length - 1];
  if (last && classify(last) === 'group' && !handler.response) {
    report(path, `handler for ${label} has group as last step but does not include 'response' field`);
  }
  if (handler.response && !available.has(handler.response)) {
    report([...path, 'response'], `handler for ${label} lists response state key that does not exist: ${handler.response}`);
  }
  return route;
}

function checkExtensions(context: RuleContext, handler: HandlerInput, index: number, source: string): void {
  const path = ['handlers', index];
  const misplaced = (key: keyof HandlerInput, allowed: string, where: string): void => {
    if (handler[key] !== undefined && source !== allowed) {
      context.report([...path, key], `'${key}' only applies to handlers with source ${where}; remove it or change the source`, 'error', 'key');
    }
  };
  misplaced('queueGroup', 'nats', 'nats');
  misplaced('jetstream', 'nats', 'nats');
  misplaced('consumerGroup', 'kafka', 'kafka');
  misplaced('ordering', 'kafka', 'kafka');
  if (handler.delivery !== undefined && source !== 'kafka') {
    const jetstream = source === 'nats' && handler.jetstream !== undefined;
    context.report(
      [...path, 'delivery'],
      jetstream
        ? `'delivery' only applies to handlers with source kafka; a JetStream handler's publishes already carry a Nats-Msg-Id that the output stream de-duplicates: remove 'delivery'`
        : `'delivery' only applies to handlers with source kafka (Kafka transactions); remove it or change the source`,
      'error',
      'key',
    );
  }
  if (handler.delivery === 'exactly-once' && source === 'kafka' && handler.ordering === 'key') {
    context.report(
      [...path, 'ordering'],
      `'ordering: key' cannot be combined with 'delivery: exactly-once' (a Kafka transaction commits a partition's offsets in order); use 'ordering: partition' or 'delivery: at-least-once'`,
      'error',
      'key',
    );
  }
  const external = source === 'nats' || source === 'kafka';
  if (!external) {
    for (const key of ['deadLetter', 'retries'] as const) {
      if (handler[key] !== undefined) {
        context.report([...path, key], `'${key}' only applies to handlers with source nats or kafka; remove it or change the source`, 'error', 'key');
      }
    }
  }
}
