import { describe, expect, it } from 'vitest';
import { parseDirective } from '../../src/directive/index.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_QUEUE_PER_SLOT, DEFAULT_REQUEST_TIMEOUT_MS, compileDirective } from '../../src/engine/compile.js';
import { DEFAULT_GROUP_TIMEOUT_MS } from '../../src/steps/group.js';

const YAML = `
identifier: com.example.plan
appVersion: v1.2.0
atmoVersion: v0.4.7
runnables:
  - name: a
    namespace: default
  - name: b
    namespace: tools
handlers:
  - type: request
    resource: /a
    method: post
    steps:
      - fn: a
  - type: request
    resource: /bounded
    method: GET
    limits:
      maxInFlight: 3
      requestTimeoutMs: 500
    steps:
      - fn: a
  - type: stream
    resource: /ws
    steps:
      - fn: a
schedules:
  - name: tick
    every:
      seconds: 5
    steps:
      - fn: a
`;

function directive(extra = '') {
  const { directive: parsed, problems } = parseDirective(YAML + extra);
  if (!parsed) throw new Error(JSON.stringify(problems));
  return parsed;
}

describe('compileDirective', () => {
  it('compile - one plan per handler with its id, and the defaults applied to every bound', () => {
    const plan = compileDirective(directive(), { defaultMaxInFlight: 4 });
    expect(plan.requests.map((handler) => handler.id)).toEqual(['POST /a', 'GET /bounded']);
    expect(plan.websockets.map((handler) => handler.id)).toEqual(['ws /ws']);
    expect(plan.schedules.map((schedule) => schedule.id)).toEqual(['schedule tick']);
    expect(plan.requests[0]?.bounds).toEqual({
      maxInFlight: 4,
      queueSize: 4 * DEFAULT_QUEUE_PER_SLOT,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    });
    expect(plan.requests[0]?.groupTimeoutMs).toBe(DEFAULT_GROUP_TIMEOUT_MS);
  });

  it('compile - handler limits override app limits, which override the defaults', () => {
    const plan = compileDirective(directive('limits:\n  maxInFlight: 10\n  queueSize: 1\n  maxBodyBytes: 99\n  groupTimeoutMs: 700\n'), { defaultMaxInFlight: 4 });
    expect(plan.requests[0]?.bounds).toEqual({ maxInFlight: 10, queueSize: 1, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS, maxBodyBytes: 99 });
    expect(plan.requests[1]?.bounds).toEqual({ maxInFlight: 3, queueSize: 1, requestTimeoutMs: 500, maxBodyBytes: 99 });
    expect(plan.requests[1]?.groupTimeoutMs).toBe(700);
  });

  it('compile - headless: no handlers nor schedules, one POST route per runnable', () => {
    const plan = compileDirective(directive(), { defaultMaxInFlight: 2, headless: true });
    expect(plan.requests).toEqual([]);
    expect(plan.websockets).toEqual([]);
    expect(plan.schedules).toEqual([]);
    expect(plan.headlessRoutes.map((route) => [route.path, route.fn])).toEqual([
      ['/com.example.plan/default/a/v1.2.0', 'a'],
      ['/com.example.plan/tools/b/v1.2.0', 'b'],
    ]);
  });

  it('compile - runSchedules: false leaves the schedules out', () => {
    expect(compileDirective(directive(), { defaultMaxInFlight: 2, runSchedules: false }).schedules).toEqual([]);
  });
});
