/**
 * (e2rx) `e2rx.publish` (docs/reference/host-abi.md#e2rxpublish): a function publishes a message on a Directive
 * connection. The message is checked against `capabilities.publish` and buffered with the call; it is sent only when
 * the handler run succeeds, before the source is acknowledged and before any reply (see `GuestPublish`).
 *
 * @module
 */
import { targetAllowed } from '../../directive/publish-rules.js';
import { guestPublishBytes, PUBLISH_CONNECTION_CODES, type GuestPublish, type PublishConnection } from '../guest-publish.js';
import type { Invocation } from '../invocation.js';
import type { HostFunction, InstanceContext } from './context.js';

/** What `e2rx.publish` returns: 0 when the message is buffered, a negative code when it is refused. */
export const PUBLISH_STATUS = {
  /** Buffered: it is sent if the run succeeds. */
  ok: 0,
  /** The ident is unknown (like every host function). */
  unknownIdent: -1,
  /** `capabilities.publish` is off. */
  disabled: -2,
  /** The target matches no pattern of `capabilities.publish.allow`. */
  denied: -3,
  /** The Directive has no connection of that kind, or the connection code is unknown. */
  noConnection: -4,
  /** The call already buffered `maxMessages` messages, or this one would pass `maxBytes`. */
  bufferFull: -5,
  /** The message is malformed: an empty target, a NATS subject with wildcards, a header line without a name, a key on NATS. */
  invalid: -6,
} as const;

const CONNECTIONS = new Map<number, PublishConnection>(Object.entries(PUBLISH_CONNECTION_CODES).map(([name, code]) => [code, name as PublishConnection]));

/**
 * Reads the headers argument: UTF-8 lines `name:value` separated by `\n` (the value is everything after the first
 * colon; empty lines are skipped). `undefined` when a line has no colon or an empty name.
 */
export function parsePublishHeaders(text: string): Array<readonly [string, string]> | undefined {
  const headers: Array<readonly [string, string]> = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  return headers;
}

/**
 * Builds `e2rx.publish` for one instance:
 * `publish(connection, targetPtr, targetSize, bodyPtr, bodySize, headersPtr, headersSize, keyPtr, keySize, ident) -> i32`.
 * Every refusal is logged with its reason at `warn`; what is buffered counts against the call's host budget.
 */
export function createPublishFunctions(context: InstanceContext): Record<string, HostFunction> {
  const rules = context.env.capabilities.publish;
  const refuse = (invocation: Invocation, status: number, why: string): number => {
    context.log('warn', `e2rx.publish refused (${status}): ${why}`, invocation);
    return status;
  };
  return {
    publish(
      connection: number,
      targetPtr: number,
      targetSize: number,
      bodyPtr: number,
      bodySize: number,
      headersPtr: number,
      headersSize: number,
      keyPtr: number,
      keySize: number,
      ident: number,
    ): number {
      const invocation = context.invocation(ident, 'e2rx.publish');
      if (invocation === undefined) return PUBLISH_STATUS.unknownIdent;
      if (!rules.enabled) return refuse(invocation, PUBLISH_STATUS.disabled, 'capabilities.publish is not enabled in the Directive');
      const kind = CONNECTIONS.get(connection);
      if (kind === undefined) return refuse(invocation, PUBLISH_STATUS.noConnection, `unknown connection ${connection} (1 NATS, 2 Kafka)`);
      if (!rules.connections[kind]) return refuse(invocation, PUBLISH_STATUS.noConnection, `the Directive has no connections.${kind}`);
      const target = context.memory.string(targetPtr, targetSize);
      if (target === '') return refuse(invocation, PUBLISH_STATUS.invalid, 'the target is empty');
      if (kind === 'nats' && /[\s*>]/.test(target)) {
        return refuse(invocation, PUBLISH_STATUS.invalid, `${target} is not a subject one can publish to (no wildcards or whitespace)`);
      }
      if (!targetAllowed(rules.allow, target)) {
        return refuse(invocation, PUBLISH_STATUS.denied, `${target} is not in capabilities.publish.allow`);
      }
      const headers = parsePublishHeaders(context.memory.string(headersPtr, headersSize));
      if (headers === undefined) return refuse(invocation, PUBLISH_STATUS.invalid, 'a header line has no name (headers are `name:value` lines)');
      if (kind === 'nats' && keySize !== 0) return refuse(invocation, PUBLISH_STATUS.invalid, 'a key is for Kafka records; NATS messages have none');
      const message: GuestPublish = {
        connection: kind,
        target,
        body: context.memory.copy(bodyPtr, bodySize),
        headers,
        ...(keySize === 0 ? {} : { key: context.memory.copy(keyPtr, keySize) }),
      };
      const bytes = guestPublishBytes(message);
      if (invocation.publishes.length >= rules.maxMessages) {
        return refuse(invocation, PUBLISH_STATUS.bufferFull, `the call already published ${rules.maxMessages} messages (capabilities.publish.maxMessages)`);
      }
      if (invocation.publishedBytes + bytes > rules.maxBytes) {
        return refuse(invocation, PUBLISH_STATUS.bufferFull, `the call would publish ${invocation.publishedBytes + bytes} bytes, above capabilities.publish.maxBytes (${rules.maxBytes})`);
      }
      invocation.hold(bytes);
      invocation.publishes.push(message);
      invocation.publishedBytes += bytes;
      return PUBLISH_STATUS.ok;
    },
  };
}
