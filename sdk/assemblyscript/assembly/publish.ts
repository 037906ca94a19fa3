/**
 * `publish` (e2rx): messages a function publishes on the app's NATS or Kafka connection, through e2rx's own host
 * function `e2rx.publish` (not part of Atmo's ABI: a module that uses it runs on e2rx only).
 *
 * A message is checked at once against the Directive's `capabilities.publish` and buffered; e2rx sends it only if
 * the whole handler run succeeds, before the run's reply, `respondTo` and the acknowledgement of its input. A call
 * that returns an error publishes nothing.
 *
 * @module
 */

import { getIdent, len, ptr, toBytes } from "./ffi";
import { Result } from "./result";

/**
 * `publish(connection, targetPtr, targetSize, bodyPtr, bodySize, headersPtr, headersSize, keyPtr, keySize, ident)`:
 * 0 buffered, or a negative code (see {@link publishError}). Headers are UTF-8 `name:value` lines.
 */
// @ts-ignore: decorator
@external("e2rx", "publish")
declare function e2rx_publish(
  connection: i32,
  targetPtr: usize,
  targetSize: i32,
  bodyPtr: usize,
  bodySize: i32,
  headersPtr: usize,
  headersSize: i32,
  keyPtr: usize,
  keySize: i32,
  ident: i32,
): i32;

/** The `connection` argument: the Directive's `connections.nats` (core NATS or a JetStream subject). */
export const PUBLISH_NATS: i32 = 1;
/** The `connection` argument: the Directive's `connections.kafka`. */
export const PUBLISH_KAFKA: i32 = 2;

/** The message of a refusal code of `e2rx.publish` (the host logs the details). */
export function publishError(code: i32): string {
  if (code == -1) return "unknown error returned from host";
  if (code == -2) return "publish is not enabled (capabilities.publish)";
  if (code == -3) return "the target is not allowed (capabilities.publish.allow)";
  if (code == -4) return "the app has no connection of that kind";
  if (code == -5) return "too many messages published by this call (capabilities.publish.maxMessages or maxBytes)";
  if (code == -6) return "the message is invalid";
  return "publish failed with code " + code.toString();
}

/** Why a header cannot travel as a `name:value` line, or `""`. */
function headerProblem(headers: Map<string, string> | null): string {
  if (headers === null) return "";
  const names = headers.keys();
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name.length == 0 || name.includes(":") || name.includes("\n")) return "invalid header name '" + name + "'";
    if (headers.get(name).includes("\n")) return "value of header '" + name + "' must not contain a newline";
  }
  return "";
}

function headerLines(headers: Map<string, string> | null): ArrayBuffer {
  if (headers === null) return new ArrayBuffer(0);
  let text = "";
  const names = headers.keys();
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    text += name + ":" + headers.get(name) + "\n";
  }
  return String.UTF8.encode(text);
}

function send(connection: i32, target: string, body: ArrayBuffer, key: ArrayBuffer, headers: Map<string, string> | null): Result {
  const problem = headerProblem(headers);
  if (problem.length > 0) return Result.err(problem);
  const t = String.UTF8.encode(target);
  const h = headerLines(headers);
  const code = e2rx_publish(connection, ptr(t), len(t), ptr(body), len(body), ptr(h), len(h), ptr(key), len(key), getIdent());
  return code == 0 ? Result.ok(new ArrayBuffer(0)) : Result.err(publishError(code));
}

/**
 * Publishing messages (e2rx). A string (UTF-8), an `ArrayBuffer` or a `Uint8Array` is accepted as the body.
 *
 * ```ts
 * const headers = new Map<string, string>();
 * headers.set("kind", "audit");
 * const res = publish.kafka("orders.audit", body, "order-1", headers);
 * if (!res.isOk) log.warn(res.error);
 * ```
 */
export abstract class publish {
  /** Publishes `body` to the NATS `subject` (to its JetStream stream when one stores it), with `headers`. */
  static nats<T>(subject: string, body: T, headers: Map<string, string> | null = null): Result {
    return send(PUBLISH_NATS, subject, toBytes<T>(body), new ArrayBuffer(0), headers);
  }

  /** Produces `body` to the Kafka `topic` with `key` (none when empty) and `headers`. */
  static kafka<T>(topic: string, body: T, key: string = "", headers: Map<string, string> | null = null): Result {
    return send(PUBLISH_KAFKA, topic, toBytes<T>(body), String.UTF8.encode(key), headers);
  }
}
