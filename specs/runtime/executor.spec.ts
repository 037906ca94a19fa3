import { describe, expect, it } from 'vitest';
import { makeRequest } from './support/driver.js';
import { startRuntime } from './support/runtime.js';
import { compileWat } from '../support/wasm.js';

async function counts(fresh: boolean, inline: boolean, calls: number): Promise<number[]> {
  const t = await startRuntime({ fixtures: ['counter'], freshInstancePerCall: fresh, inline, workers: 1 });
  const seen: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    const result = await t.runtime.invoke('counter', makeRequest());
    if (result.kind !== 'output') throw new Error(result.kind);
    seen.push(new DataView(result.output.buffer, result.output.byteOffset).getUint32(0, true));
  }
  await t.runtime.close();
  return seen;
}

describe('executor', () => {
  it('run - pooled mode reuses the instance: module globals persist between calls', async () => {
    expect(await counts(false, true, 4)).toEqual([1, 2, 3, 4]);
  });

  it('run - fresh-instance mode keeps no state between calls', async () => {
    expect(await counts(true, true, 4)).toEqual([1, 1, 1, 1]);
  });

  it('run - both modes behave the same on a worker', async () => {
    expect(await counts(false, false, 3)).toEqual([1, 2, 3]);
    expect(await counts(true, false, 3)).toEqual([1, 1, 1]);
  });

  it('register - registering a name again replaces the function and drops its instances', async () => {
    const t = await startRuntime({ fixtures: ['counter'] });
    await t.runtime.invoke('counter', makeRequest());
    await t.runtime.invoke('counter', makeRequest());
    await t.runtime.register('counter', await compileWat('counter'));
    const result = await t.runtime.invoke('counter', makeRequest());
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(result.output[0]).toBe(1);
    await t.runtime.close();
  });

  it('stats - counts the instances alive per function: one made ready at registration, reused by calls', async () => {
    const t = await startRuntime({ fixtures: ['counter', 'echo'] });
    expect(t.runtime.stats().functions['counter']).toMatchObject({ instances: 1, calls: 0 });
    await t.runtime.invoke('counter', makeRequest());
    await t.runtime.invoke('counter', makeRequest());
    expect(t.runtime.stats().functions['counter']).toMatchObject({ instances: 1, calls: 2, failures: 0 });
    await t.runtime.close();
  });
});
