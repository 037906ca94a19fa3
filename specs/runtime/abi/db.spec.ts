import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRequest, Program, type OutputRecord } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

async function run(t: TestRuntime, program: Program): Promise<OutputRecord[]> {
  program.returnOutput();
  const result = await t.runtime.invoke('hostcall', makeRequest({ body: program.build() }));
  if (result.kind !== 'output') throw new Error(JSON.stringify(result));
  return program.decode(result.output);
}

function addVar(p: Program, name: string, value: string): void {
  const [n, nl] = p.str(name);
  const [v, vl] = p.str(value);
  p.call('add_ffi_var', n, nl, v, vl);
}

describe('abi/db (workers)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['hostcall'], inline: false, workers: 1 });
  });
  afterAll(() => t.runtime.close());

  it('db_exec - runs the named query with the add_ffi_var values in order, then clears them', async () => {
    const p = new Program();
    addVar(p, 'email', 'a@b.c');
    addVar(p, 'age', '42');
    const [q, ql] = p.str('SelectUser');
    p.call('db_exec', 1, q, ql).collect().call('db_exec', 1, q, ql).collect();
    const out = await run(t, p);
    expect(out.slice(0, 2)).toEqual([0, 0]);
    expect(JSON.parse((out[3] as Exclude<OutputRecord, number>).text)).toEqual({ queryType: 1, name: 'SelectUser', variables: ['a@b.c', '42'] });
    expect(JSON.parse((out[5] as Exclude<OutputRecord, number>).text)).toEqual({ queryType: 1, name: 'SelectUser', variables: [] });
  });

  it('db_exec - an error from the services is a negative size with its text', async () => {
    const p = new Program();
    const [q, ql] = p.str('missing');
    p.call('db_exec', 0, q, ql).collect();
    expect(await run(t, p)).toEqual([-15, { rc: 0, bytes: new TextEncoder().encode('query not found'), text: 'query not found' }]);
  });

  it('db_exec - refused while a result is uncollected; the variables are consumed anyway', async () => {
    const p = new Program();
    const [m, ml] = p.str('method');
    const [q, ql] = p.str('Q');
    addVar(p, 'x', '1');
    p.call('request_get_field', 0, m, ml).call('db_exec', 0, q, ql).collect().call('db_exec', 0, q, ql).collect();
    const out = await run(t, p);
    expect(out.slice(0, 3)).toEqual([0, 3, -1]);
    expect((JSON.parse((out[5] as Exclude<OutputRecord, number>).text) as { variables: unknown }).variables).toEqual([]);
  });
});
