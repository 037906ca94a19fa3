import { readFile } from 'node:fs/promises';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileForTest, createWasmRunner, summarizeResult, testRequest, type WasmRunner } from '../../src/testing/index.js';

const directive = `
identifier: com.example.test
appVersion: v0.1.0
atmoVersion: v0.4.7
handlers:
  - type: request
    resource: /greet/:name
    method: GET
    steps:
      - fn: hello
      - fn: greet
        with: { previous: hello }
`;

describe('createWasmRunner', () => {
  let inline: WasmRunner;
  let worker: WasmRunner;
  beforeAll(async () => {
    const functions = {
      hello: new Uint8Array(await readFile('examples/hello/hello.wasm')),
      greet: new Uint8Array(await readFile('examples/hello/greet.wasm')),
    };
    inline = await createWasmRunner({ functions });
    worker = await createWasmRunner({ functions, inline: false });
  });
  afterAll(async () => {
    await inline.close();
    await worker.close();
  });

  it('createWasmRunner - runs a compiled Directive over real Wasm, inline', async () => {
    const app = compileForTest(directive, { runner: inline.runner });
    const result = await firstValueFrom(app.run('GET /greet/:name', testRequest({ method: 'GET', params: { name: 'ada' } })));
    expect(summarizeResult(result)).toBe('ok {"greeting":"hello ada","previous":"hello ","method":"GET"}');
    expect(result.request.respHeaders['Content-Type']).toBe('application/json');
  });

  it('createWasmRunner - gives the same result in a worker', async () => {
    const app = compileForTest(directive, { runner: worker.runner });
    const result = await firstValueFrom(app.run('GET /greet/:name', testRequest({ method: 'GET', params: { name: 'bo' } })));
    expect(summarizeResult(result)).toBe('ok {"greeting":"hello bo","previous":"hello ","method":"GET"}');
  });

  it('createWasmRunner - a function it does not have fails the run with a clear error', async () => {
    const app = compileForTest(`
identifier: com.example.test
appVersion: v0.1.0
atmoVersion: v0.4.7
handlers:
  - { type: request, resource: /x, method: POST, steps: [ { fn: missing } ] }
`, { runner: inline.runner });
    const result = await firstValueFrom(app.run('POST /x', testRequest()));
    expect(result.kind).toBe('failure');
    expect(summarizeResult(result)).toMatch(/missing/);
  });
});
