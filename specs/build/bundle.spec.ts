import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../src/app/index.js';
import { writeBundle } from '../../src/build/bundle.js';
import { E2rxError } from '../../src/errors.js';
import { cleanupApps, makeAppDir, minimalDirective, runnableWasm } from '../support/apps.js';

afterAll(cleanupApps);

describe('writeBundle', () => {
  it('writeBundle - writes Directive.yaml and <name>.wasm at the root and static/** files', async () => {
    const wasm = await runnableWasm();
    const app = await makeAppDir({
      directive: minimalDirective({ functions: ['hello', 'nested'] }),
      files: {
        'hello.wasm': wasm,
        'nested/nested.wasm': wasm,
        'nested/index.ts': 'source is not bundled',
        'static/index.html': '<h1>hi</h1>',
        'static/css/site.css': 'body {}',
        'README.md': 'not bundled',
        '.e2rx-build.json': '{}',
      },
    });
    const report = await writeBundle(app);
    expect(report.path).toBe(join(app, 'runnables.wasm.zip'));
    expect(report.entries).toEqual(['Directive.yaml', 'hello.wasm', 'nested.wasm', 'static/css/site.css', 'static/index.html']);
    const entries = unzipSync(new Uint8Array(await readFile(report.path)));
    expect(Object.keys(entries).sort()).toEqual(report.entries);
    expect(new TextDecoder().decode(entries['static/index.html'])).toBe('<h1>hi</h1>');
    expect(Buffer.compare(entries['nested.wasm'] ?? new Uint8Array(), wasm)).toBe(0);
    expect(report.bytes).toBe((await readFile(report.path)).byteLength);
  });

  it('writeBundle - stores a directive.yml as Directive.yaml', async () => {
    const app = await makeAppDir({ directive: minimalDirective(), directiveName: 'directive.yml', files: { 'hello.wasm': await runnableWasm() } });
    expect((await writeBundle(app)).entries).toEqual(['Directive.yaml', 'hello.wasm']);
  });

  it('writeBundle - gives the same bytes for the same files', async () => {
    const app = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': await runnableWasm(), 'static/a.txt': 'a' } });
    const first = await readFile((await writeBundle(app)).path);
    const second = await readFile((await writeBundle(app, { output: 'again.zip' })).path);
    expect(Buffer.compare(first, second)).toBe(0);
  });

  it('writeBundle - makes a bundle that loadApp runs', async () => {
    const app = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': await runnableWasm(), 'static/a.txt': 'a' } });
    const loaded = await loadApp((await writeBundle(app)).path);
    expect(loaded.kind).toBe('bundle');
    expect([...loaded.functions.keys()]).toEqual(['com.example.spec#default::hello@v1.0.0']);
    expect(new TextDecoder().decode(await loaded.staticFiles.read('a.txt'))).toBe('a');
  });

  it('writeBundle - refuses an app without a Directive or without modules', async () => {
    const noDirective = await makeAppDir({ files: { 'hello.wasm': await runnableWasm() } });
    await expect(writeBundle(noDirective)).rejects.toSatisfy((error) => E2rxError.is(error, 'E2RX_DIRECTIVE_NOT_FOUND'));
    const noModules = await makeAppDir({ directive: minimalDirective() });
    await expect(writeBundle(noModules)).rejects.toSatisfy((error) => E2rxError.is(error, 'E2RX_MODULE_MISSING'));
  });
});
