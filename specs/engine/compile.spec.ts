import { describe, expect, it } from 'vitest';
import { parseDirective } from '../../src/directive/index.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  compileDirective,
} from '../../src/engine/compile.js';
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
    const plan = compileDirective(directive());
    expect(plan.requests.map((handler) => handler.id)).toEqual(['POST /a', 'GET /bounded']);
    expect(plan.websockets.map((handler) => handler.id)).toEqual(['ws /ws']);
    expect(plan.schedules.map((schedule) => schedule.id)).toEqual(['schedule tick']);
    // Work waits by default and is refused by time and bytes, not by a small count (docs/reference/admission.md).
    expect(plan.requests[0]?.bounds).toEqual({
      maxInFlight: DEFAULT_MAX_IN_FLIGHT,
      queueSize: undefined,
      maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      maxConnections: DEFAULT_MAX_CONNECTIONS,
    });
    expect(DEFAULT_MAX_IN_FLIGHT).toBeGreaterThanOrEqual(256);
    expect(plan.requests[0]?.groupTimeoutMs).toBe(DEFAULT_GROUP_TIMEOUT_MS);
  });

  it('compile - handler limits override app limits, which override the defaults', () => {
    const plan = compileDirective(directive('limits:\n  maxInFlight: 10\n  queueSize: 1\n  maxQueuedBytes: 4096\n  maxBodyBytes: 99\n  maxConnections: 7\n  groupTimeoutMs: 700\n'));
    const common = { queueSize: 1, maxQueuedBytes: 4096, maxBodyBytes: 99, maxConnections: 7 };
    expect(plan.requests[0]?.bounds).toEqual({ ...common, maxInFlight: 10, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS });
    expect(plan.requests[1]?.bounds).toEqual({ ...common, maxInFlight: 3, requestTimeoutMs: 500 });
    expect(plan.requests[1]?.groupTimeoutMs).toBe(700);
  });

  it('compile - headless: no handlers nor schedules, one POST route per runnable', () => {
    const plan = compileDirective(directive(), { headless: true });
    expect(plan.requests).toEqual([]);
    expect(plan.websockets).toEqual([]);
    expect(plan.schedules).toEqual([]);
    expect(plan.headlessRoutes.map((route) => [route.path, route.fn])).toEqual([
      ['/com.example.plan/default/a/v1.2.0', 'a'],
      ['/com.example.plan/tools/b/v1.2.0', 'b'],
    ]);
  });

  it('compile - runSchedules: false leaves the schedules out', () => {
    expect(compileDirective(directive(), { runSchedules: false }).schedules).toEqual([]);
  });
});
