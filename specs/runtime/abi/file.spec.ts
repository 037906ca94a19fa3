import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRequest, Program, type OutputRecord } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

async function run(t: TestRuntime, program: Program): Promise<OutputRecord[]> {
  program.returnOutput();
  const result = await t.runtime.invoke('hostcall', makeRequest({ body: program.build() }));
  if (result.kind !== 'output') throw new Error(JSON.stringify(result));
  return program.decode(result.output);
}

describe('abi/file (workers)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['hostcall'], inline: false, workers: 1 });
  });
  afterAll(() => t.runtime.close());

  it('get_static_file - delivers a static file', async () => {
    const p = new Program();
    const [n, nl] = p.str('index.html');
    p.call('get_static_file', n, nl).collect();
    expect(await run(t, p)).toEqual([11, { rc: 0, bytes: new TextEncoder().encode('<h1>hi</h1>'), text: '<h1>hi</h1>' }]);
  });

  it('get_static_file - a missing file is an error text', async () => {
    const p = new Program();
    const [n, nl] = p.str('nope.txt');
    p.call('get_static_file', n, nl).collect();
    const out = await run(t, p);
    expect(out[1]).toMatchObject({ rc: 0, text: 'failed to GetStatic: file does not exist' });
    expect(out[0]).toBe(-'failed to GetStatic: file does not exist'.length);
  });
});
