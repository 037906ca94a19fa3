/**
 * OTLP attributes in protobuf (`opentelemetry/proto/common/v1`): repeated `KeyValue` fields, each a key and an
 * `AnyValue` (string, bool, int64 for integers, double for the other numbers, arrays of these), written with the
 * protobuf {@link writer} as the SDK's `ProtobufTraceSerializer` writes them.
 *
 * @module
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { writer as w } from './protobuf-writer.js';

/** Repeated `KeyValue` fields `field` of `attributes` (without the keys in `skip`). */
export function attributes(field: number, attributes: Attributes, skip: Attributes | undefined): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key) || (skip !== undefined && key in skip)) continue;
    pair(field, key, attributes[key]);
  }
}

/** One `KeyValue` field `field`: `key` and `value` (an empty `AnyValue` for `undefined` and `null`). */
export function pair(field: number, key: string, value: AttributeValue | undefined | null): void {
  w.tag(field, 2);
  const at = w.begin();
  w.tag(1, 2);
  w.string(key);
  w.tag(2, 2);
  const valueAt = w.begin();
  anyValue(value);
  w.finish(valueAt);
  w.finish(at);
}

function anyValue(value: AttributeValue | undefined | null): void {
  if (typeof value === 'string') {
    w.tag(1, 2);
    w.string(value);
  } else if (typeof value === 'boolean') {
    w.tag(2, 0);
    w.varint(value ? 1 : 0);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -9223372036854775808 && value < 9223372036854775808) {
      w.tag(3, 0);
      w.varint(value);
    } else {
      w.tag(4, 1);
      w.ensure(8);
      w.pos = w.buf.writeDoubleLE(value, w.pos);
    }
  } else if (Array.isArray(value)) {
    w.tag(5, 2);
    const array = w.begin();
    for (const item of value as readonly (string | number | boolean | null | undefined)[]) {
      w.tag(1, 2);
      const at = w.begin();
      anyValue(item);
      w.finish(at);
    }
    w.finish(array);
  }
}
