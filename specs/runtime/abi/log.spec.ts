import { describe, expect, it } from 'vitest';
import { logLevel } from '../../../src/runtime/abi/log.js';
import { makeRequest, Program } from '../support/driver.js';
import { startRuntime } from '../support/runtime.js';

function logProgram(messages: Array<[string, number]>): Program {
  const p = new Program();
  for (const [message, level] of messages) {
    const [ptr, len] = p.str(message);
    p.call('log_msg', ptr, len, level);
  }
  return p;
}

describe('abi/log', () => {
  it('logLevel - maps 1 error, 2 warn, 3 info, 4 debug, anything else info', () => {
    expect([1, 2, 3, 4, 0, 5, -1].map(logLevel)).toEqual(['error', 'warn', 'info', 'debug', 'info', 'info', 'info']);
  });

  it('log_msg - logs at every level with the scope {fn, request_id, ident}', async () => {
    const t = await startRuntime({ fixtures: ['hostcall'] });
    const p = logProgram([['e', 1], ['w', 2], ['i', 3], ['d', 4], ['other', 9]]);
    await t.runtime.invoke('hostcall', makeRequest({ id: 'log-req', body: p.build() }));
    const guest = t.lines.filter((l) => l.fn === 'hostcall');
    expect(guest.map((l) => [l.msg, l.level])).toEqual([['e', 50], ['w', 40], ['i', 30], ['d', 20], ['other', 30]]);
    expect(guest.every((l) => l.request_id === 'log-req' && typeof l.ident === 'number')).toBe(true);
    expect(new Set(guest.map((l) => l.ident)).size).toBe(1);
    await t.runtime.close();
  });

  it('log_msg - each invocation has its own ident', async () => {
    const t = await startRuntime({ fixtures: ['hostcall'] });
    const p = logProgram([['x', 3]]);
    await t.runtime.invoke('hostcall', makeRequest({ body: p.build() }));
    await t.runtime.invoke('hostcall', makeRequest({ body: p.build() }));
    const idents = t.lines.filter((l) => l.msg === 'x').map((l) => l.ident);
    expect(idents).toHaveLength(2);
    expect(idents[0]).not.toBe(idents[1]);
    await t.runtime.close();
  });

  it('log_msg - logs nothing when the logger capability is disabled', async () => {
    const t = await startRuntime({ fixtures: ['hostcall'], capabilities: { logger: { enabled: false } } });
    await t.runtime.invoke('hostcall', makeRequest({ body: logProgram([['quiet', 1]]).build() }));
    expect(t.lines.some((l) => l.msg === 'quiet')).toBe(false);
    await t.runtime.close();
  });

  it('log_msg - with an unknown ident logs nothing from the guest', async () => {
    const t = await startRuntime({ fixtures: ['hostcall'] });
    const p = new Program();
    const [ptr, len] = p.str('spoofed');
    p.callWithIdent(1, 'log_msg', ptr, len, 3);
    await t.runtime.invoke('hostcall', makeRequest({ body: p.build() }));
    expect(t.lines.some((l) => l.msg === 'spoofed')).toBe(false);
    expect(t.lines.some((l) => l.msg.startsWith('refused host call env.log_msg: unknown ident 1'))).toBe(true);
    await t.runtime.close();
  });
});
