import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/directive/capability-config.js';
import type { Deadline } from '../../src/runtime/deadline.js';
import { INLINE_UNAVAILABLE, type LogFields, type LogLevel } from '../../src/runtime/host-env.js';
import { InlineLane } from '../../src/runtime/inline.js';
import type { FunctionDefinition } from '../../src/runtime/instance.js';
import { pagesOf, resolveLimits } from '../../src/runtime/limits.js';
import { prepareModule } from '../../src/runtime/module-info.js';
import { compileWat } from '../support/wasm.js';
import { makeRequest, Program, text } from './support/driver.js';

const LIMITS = resolveLimits({ timeoutMs: 2_000 });

async function definition(name: string): Promise<FunctionDefinition> {
  const { module, plan, info } = await prepareModule(name, await compileWat(name), pagesOf(LIMITS.maxMemoryMb));
  expect(info.metered).toBe(true);
  return { name, version: 1, module, plan };
}

/** A lane with the given functions and a sink that keeps what reaches it. */
async function lane(speculative: boolean, ...names: string[]): Promise<{ lane: InlineLane; lines: Array<[LogLevel, string, LogFields]> }> {
  const lines: Array<[LogLevel, string, LogFields]> = [];
  const created = new InlineLane({
    capabilities: DEFAULT_CAPABILITIES,
    secrets: {},
    log: (level, message, fields) => lines.push([level, message, fields]),
    limits: LIMITS,
    fresh: false,
    instances: 1,
    speculative,
  });
  for (const name of names) created.register(await definition(name));
  return { lane: created, lines };
}

const budget = (ms: number): Deadline => {
  const now = performance.now();
  return { at: now + ms, reason: 'budget', from: now };
};
const timeout = (ms: number): Deadline => {
  const now = performance.now();
  return { at: now + ms, reason: 'timeout', from: now };
};

describe('inline', () => {
  it('InlineLane - speculative: an asynchronous host call abandons the call and drops its log lines', async () => {
    const { lane: l, lines } = await lane(true, 'hostcall');
    const blocked = new Program();
    blocked.call('log_msg', ...blocked.str('before the cache'), 3).call('cache_get', ...blocked.str('k')).returnOutput();
    expect(l.run('hostcall', makeRequest({ body: blocked.build() }), budget(1_000))).toEqual({ kind: 'relocate', reason: 'blocking', call: 'env.cache_get' });
    expect(lines).toEqual([]);
    expect(l.instances('hostcall')).toBe(0); // the abandoned instance is discarded
    const fine = new Program();
    fine.call('log_msg', ...fine.str('kept'), 3).returnOutput();
    const outcome = l.run('hostcall', makeRequest({ body: fine.build(), id: 'kept-id' }), budget(1_000));
    expect(outcome.kind).toBe('output');
    expect(lines.map(([level, message, fields]) => [level, message, fields.request_id])).toEqual([['info', 'kept', 'kept-id']]);
    expect(l.instances('hostcall')).toBe(1);
    expect(l.running).toBe(0);
  });

  it('InlineLane - speculative: a sleep abandons the call (wasi poll_oneoff)', async () => {
    const { lane: l, lines } = await lane(true, 'sleep');
    expect(l.run('sleep', makeRequest({ body: new Uint8Array(5) }), budget(1_000))).toEqual({ kind: 'relocate', reason: 'blocking', call: 'wasi poll_oneoff' });
    expect(l.run('sleep', makeRequest({ body: new Uint8Array(0) }), budget(1_000))).toMatchObject({ kind: 'output' }); // a zero sleep does not block
    expect(lines.map(([, message]) => message)).toEqual(['sleeping']);
  });

  it('InlineLane - speculative: a call past its budget is abandoned where it is and its instance discarded', async () => {
    const { lane: l } = await lane(true, 'spin', 'loop');
    l.prewarm('spin', timeout(1_000));
    expect(l.instances('spin')).toBe(1);
    const started = performance.now();
    expect(l.run('spin', makeRequest({ body: new Uint8Array(200) }), budget(10))).toEqual({ kind: 'relocate', reason: 'budget' });
    expect(performance.now() - started).toBeLessThan(100);
    expect(l.instances('spin')).toBe(0);
    expect(l.run('loop', makeRequest(), budget(10))).toEqual({ kind: 'relocate', reason: 'budget' });
    // a time limit is a failure, not a relocation
    expect(l.run('loop', makeRequest(), timeout(10))).toMatchObject({ kind: 'failure', failure: { code: 'E2RX_WASM_TIMEOUT' } });
    const quick = l.run('spin', makeRequest({ body: new Uint8Array(2) }), budget(1_000));
    expect(quick.kind === 'output' && quick.output.length).toBe(2);
  });

  it('InlineLane - inline mode: asynchronous capabilities answer that they are not available; sleeps wait', async () => {
    const { lane: l, lines } = await lane(false, 'hostcall', 'sleep');
    const program = new Program();
    program.call('cache_get', ...program.str('k')).collect().returnOutput();
    const outcome = l.run('hostcall', makeRequest({ body: program.build() }), timeout(1_000));
    if (outcome.kind !== 'output') throw new Error(outcome.kind);
    const [size, collected] = program.decode(outcome.output);
    expect(size).toBe(-INLINE_UNAVAILABLE.length);
    expect(collected).toMatchObject({ text: INLINE_UNAVAILABLE });
    const started = performance.now();
    const slept = l.run('sleep', makeRequest({ body: new Uint8Array(30) }), timeout(1_000));
    expect(slept.kind === 'output' && slept.output.length).toBe(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    expect(lines.map(([, message]) => message)).toEqual(['sleeping']);
    // a sleep longer than the time left ends the call at its time limit
    const cut = performance.now();
    expect(l.run('sleep', makeRequest({ body: new Uint8Array(5_000) }), timeout(100))).toMatchObject({ kind: 'failure', failure: { code: 'E2RX_WASM_TIMEOUT' } });
    expect(performance.now() - cut).toBeLessThan(250);
  });

  it('InlineLane - prewarm drops the log lines of an instance it abandons', async () => {
    const { lane: l, lines } = await lane(true, 'init-sleep', 'echo');
    l.prewarm('init-sleep', timeout(1_000)); // init prints, then sleeps: it cannot start on this thread
    expect(l.instances('init-sleep')).toBe(0);
    expect(lines).toEqual([]);
    l.prewarm('echo', timeout(1_000));
    expect(l.instances('echo')).toBe(1);
    const echoed = l.run('echo', makeRequest({ bodyText: 'hi' }), budget(1_000));
    expect(echoed.kind === 'output' && text(echoed.output)).toBe('hi');
  });
});
