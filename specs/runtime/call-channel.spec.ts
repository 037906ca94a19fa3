import { describe, expect, it } from 'vitest';
import { CallChannel, CallInbox, CLAIM_SLOTS } from '../../src/runtime/call-channel.js';
import type { CallMessage, ResultMessage } from '../../src/runtime/call-codec.js';
import { prepareModule } from '../../src/runtime/module-info.js';
import { compileWat } from '../support/wasm.js';
import { makeRequest } from './support/driver.js';

/** Both ends on one thread: the inbox plays the worker, `results` collects what the channel delivers. */
function open(): { channel: CallChannel; inbox: CallInbox; results: ResultMessage[]; seen: string[]; wakeUps: () => number } {
  const results: ResultMessage[] = [];
  const seen: string[] = [];
  let drained = 0;
  const channel = new CallChannel(
    (result) => {
      results.push(result);
      seen.push(`result ${result.id}`);
    },
    (message) => seen.push(message.type === 'log' ? `log ${message.message}` : `host ${message.request.op}`),
    () => (drained += 1),
  );
  return { channel, inbox: new CallInbox(channel.init), results, seen, wakeUps: () => drained };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('call-channel', () => {
  it('CallChannel - calls reach the worker in order and are claimed there; outcomes waiting together arrive at one wake-up', async () => {
    const { channel, inbox, results, wakeUps } = open();
    const slots = [1, 2, 3].map((id) => channel.send(id, 'echo', makeRequest({ bodyText: `call ${id}` })));
    expect(slots).toEqual([0, 1, 2]);
    channel.wake();
    const calls: CallMessage[] = [];
    for (let next = inbox.next(); next !== undefined; next = inbox.next()) if (next.type === 'call') calls.push(next);
    expect(calls.map((c) => [c.id, new TextDecoder().decode(c.request.body)])).toEqual([
      [1, 'call 1'],
      [2, 'call 2'],
      [3, 'call 3'],
    ]);
    expect(channel.startedAt(0)).toBeGreaterThan(Date.now() - 1000);
    for (const call of calls) inbox.reply({ type: 'result', id: call.id, instances: 1, outcome: { kind: 'output', output: call.request.body } });
    await until(() => results.length === 3);
    expect(results.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(wakeUps()).toBe(1);
    channel.close();
  });

  it('CallChannel - a call not started yet can be revoked, and the worker skips it; a started one cannot', () => {
    const { channel, inbox } = open();
    const first = channel.send(1, 'echo', makeRequest()) as number;
    const second = channel.send(2, 'echo', makeRequest()) as number;
    expect(channel.startedAt(second)).toBeUndefined();
    expect(channel.revoke(second)).toBe(true);
    expect(inbox.next()).toMatchObject({ type: 'call', id: 1 });
    expect(channel.revoke(first)).toBe(false);
    expect(channel.startedAt(first)).toBeTypeOf('number');
    expect(inbox.next()).toBeUndefined();
    channel.close();
  });

  it('CallChannel - a call and an outcome too large for the ring cross on the port, in order with the others', async () => {
    const { channel, inbox, results } = open();
    const big = new Uint8Array(600_000).fill(7);
    channel.send(1, 'echo', makeRequest({ bodyText: 'small' }));
    channel.send(2, 'echo', makeRequest({ body: big, respHeaders: { 'x-left': 'behind' } }));
    channel.send(3, 'echo', makeRequest({ bodyText: 'small again' }));
    const calls = [inbox.next(), inbox.next(), inbox.next()] as CallMessage[];
    expect(calls.map((c) => [c.id, c.request.body.length])).toEqual([
      [1, 5],
      [2, 600_000],
      [3, 11],
    ]);
    expect(calls[1]?.request.respHeaders).toEqual({});
    for (const call of calls) inbox.reply({ type: 'result', id: call.id, instances: 1, outcome: { kind: 'output', output: call.request.body } });
    await until(() => results.length === 3);
    expect(results.map((r) => [r.id, r.outcome.kind === 'output' ? r.outcome.output.length : -1])).toEqual([
      [1, 5],
      [2, 600_000],
      [3, 11],
    ]);
    channel.close();
  });

  it('CallChannel - a registration reaches the worker between the calls sent before and after it', async () => {
    const { channel, inbox } = open();
    const prepared = await prepareModule('echo', await compileWat('echo'), 16);
    channel.send(1, 'echo', makeRequest());
    channel.register({ name: 'echo', version: 2, module: prepared.module, plan: prepared.plan });
    channel.send(2, 'echo', makeRequest());
    const seen = [inbox.next(), inbox.next(), inbox.next()].map((m) => (m?.type === 'call' ? `call ${m.id}` : `register ${m?.definition.version}`));
    expect(seen).toEqual(['call 1', 'register 2', 'call 2']);
    channel.close();
  });

  it('CallChannel - claim slots are reused in turn', () => {
    const { channel, inbox } = open();
    for (let i = 0; i < CLAIM_SLOTS + 2; i += 1) {
      const slot = channel.send(i + 1, 'echo', makeRequest());
      expect(slot).toBe(i % CLAIM_SLOTS);
      expect(inbox.next()).toMatchObject({ id: i + 1 });
    }
    channel.close();
  });

  it('CallInbox - host calls and log lines reach the main thread in order with the outcomes, large ones on the port', async () => {
    const { channel, inbox, seen } = open();
    const context = { fn: 'f', requestId: 'r' };
    inbox.log({ type: 'log', level: 'info', message: 'first', fields: { fn: 'f', ident: 7 } });
    inbox.host({ type: 'host', request: { op: 'cacheGet', key: 'k' }, context }, []);
    inbox.reply({ type: 'result', id: 1, instances: 1, outcome: { kind: 'none' } });
    const body = new Uint8Array(400_000).fill(1);
    inbox.host({ type: 'host', request: { op: 'fetchUrl', method: 1, url: 'http://x/', body }, context }, [body.buffer]);
    inbox.log({ type: 'log', level: 'warn', message: 'last', fields: { fn: 'f' } });
    await until(() => seen.length === 5);
    expect(seen).toEqual(['log first', 'host cacheGet', 'result 1', 'host fetchUrl', 'log last']);
    channel.close();
  });
});
