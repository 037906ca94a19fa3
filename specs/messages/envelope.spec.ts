import { describe, expect, it } from 'vitest';
import { unwrapPayload, wrapPayload } from '../../src/messages/envelope.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('unwrapPayload', () => {
  it('unwrapPayload - a Grav envelope gives its base64 data and its meta', () => {
    const wire = encode('{"meta":{"uuid":"u1","msg_type":"t","parent_id":"","response_to":"","timestamp":"2021-01-01T00:00:00Z"},"payload":{"data":"aGVsbG8="}}');
    const payload = unwrapPayload(wire);
    expect(decode(payload.data)).toBe('hello');
    expect(payload.meta).toMatchObject({ uuid: 'u1', msg_type: 't' });
  });

  it('unwrapPayload - raw bytes, other JSON and malformed envelopes are taken as they are', () => {
    for (const text of ['hello', '{"hello":1}', '[1,2]', '{"meta":{},"payload":{"data":"not base64!"}}', '{"meta":1,"payload":{}}', '{"meta":{}', '']) {
      const bytes = encode(text);
      const payload = unwrapPayload(bytes);
      expect(payload.meta).toBeUndefined();
      expect(payload.data).toBe(bytes);
    }
  });

  it('unwrapPayload - an envelope without data is an empty payload; leading whitespace is allowed', () => {
    const payload = unwrapPayload(encode('  {"meta":{"uuid":"x"},"payload":{}}'));
    expect(payload.data).toEqual(new Uint8Array());
    expect(payload.meta).toEqual({ uuid: 'x' });
  });

  it('unwrapPayload - bytes that are not UTF-8 are raw', () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    expect(unwrapPayload(bytes).data).toBe(bytes);
  });

  it('wrapPayload - wraps bytes as Atmo published them, and round-trips', () => {
    const data = new Uint8Array([0, 1, 2, 250]);
    const wire = wrapPayload(data, { uuid: 'abc' });
    expect(JSON.parse(decode(wire))).toEqual({ meta: { uuid: 'abc' }, payload: { data: 'AAEC+g==' } });
    expect(unwrapPayload(wire).data).toEqual(data);
  });
});
