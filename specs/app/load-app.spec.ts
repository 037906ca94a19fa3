import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApp, type App } from '../../src/app/index.js';
import type { Problem } from '../../src/directive/index.js';
import { E2rxError, type ErrorCode } from '../../src/errors.js';
import { writeZip, zeroBomb } from './support/zip-writer.js';
import {
  cleanupApps,
  grainWasm,
  makeAppDir,
  makeBundle,
  makeTempDir,
  minimalDirective,
  NOT_WASM,
  notRunnableWasm,
  runnableWasm,
  TRUNCATED_WASM,
  zipBytes,
} from '../support/apps.js';

let wasm: Uint8Array;
let notRunnable: Uint8Array;
let grain: Uint8Array;

beforeAll(async () => {
  wasm = await runnableWasm();
  notRunnable = await notRunnableWasm();
  grain = await grainWasm();
});

afterAll(cleanupApps);

/** Resolves to the E2rxError `promise` rejects with, after checking its code. */
async function rejection(promise: Promise<App>, code: ErrorCode): Promise<E2rxError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'loadApp should have failed').toBeInstanceOf(E2rxError);
  expect((error as E2rxError).code).toBe(code);
  return error as E2rxError;
}

const HELLO = 'com.example.spec#default::hello@v1.0.0';

describe('loadApp - directories', () => {
  it('loadApp - loads <name>.wasm beside Directive.yaml', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    const app = await loadApp(dir, { cwd: dir });
    expect(app.kind).toBe('directory');
    expect(app.path).toBe('.');
    expect(app.directiveFile).toBe('Directive.yaml');
    expect(app.directive.identifier).toBe('com.example.spec');
    expect([...app.functions.keys()]).toEqual([HELLO]);
    const fn = app.functions.get(HELLO);
    expect(fn?.file).toBe('hello.wasm');
    expect(fn?.bytes).toEqual(wasm);
    expect(fn?.module).toBeInstanceOf(WebAssembly.Module);
    expect(app.warnings).toEqual([]);
  });

  it('loadApp - loads <name>/<name>.wasm (a function folder)', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello/hello.wasm': wasm } });
    const app = await loadApp(dir, { cwd: dir });
    expect(app.functions.get(HELLO)?.file).toBe(join('hello', 'hello.wasm'));
  });

  it('loadApp - prefers <name>.wasm at the root over <name>/<name>.wasm', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm, 'hello/hello.wasm': NOT_WASM } });
    const app = await loadApp(dir, { cwd: dir });
    expect(app.functions.get(HELLO)?.file).toBe('hello.wasm');
  });

  it('loadApp - accepts a lower-case directive.yaml', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), directiveName: 'directive.yaml', files: { 'hello.wasm': wasm } });
    const app = await loadApp(dir, { cwd: dir });
    expect(app.directiveFile).toBe('directive.yaml');
    expect([...app.functions.keys()]).toEqual([HELLO]);
  });

  it('loadApp - accepts the path of the Directive file itself', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    const app = await loadApp(join(dir, 'Directive.yaml'), { cwd: dir });
    expect(app.kind).toBe('directory');
    expect([...app.functions.keys()]).toEqual([HELLO]);
  });

  it('loadApp - reads the Directive file named by path even when another accepted name exists', async () => {
    const dir = await makeAppDir({
      directive: minimalDirective({ identifier: 'com.example.first' }),
      files: { 'directive.yml': minimalDirective({ identifier: 'com.example.second' }), 'hello.wasm': wasm },
    });
    expect((await loadApp(dir, { cwd: dir })).directive.identifier).toBe('com.example.first');
    const app = await loadApp(join(dir, 'directive.yml'), { cwd: dir });
    expect(app.directive.identifier).toBe('com.example.second');
    expect(app.directiveFile).toBe('directive.yml');
  });

  it('loadApp - resolves a relative path against options.cwd and names files relative to it', async () => {
    const dir = await makeAppDir({ files: { 'app/Directive.yaml': minimalDirective(), 'app/hello.wasm': wasm } });
    const app = await loadApp('app', { cwd: dir });
    expect(app.path).toBe('app');
    expect(app.directiveFile).toBe(join('app', 'Directive.yaml'));
    expect(app.functions.get(HELLO)?.file).toBe(join('app', 'hello.wasm'));
  });

  it('loadApp - names files by absolute path when the app is outside cwd', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    const elsewhere = await makeTempDir();
    const app = await loadApp(dir, { cwd: elsewhere });
    expect(app.path).toBe(dir);
    expect(app.functions.get(HELLO)?.file).toBe(join(dir, 'hello.wasm'));
  });

  it('loadApp - ignores files that are not .wasm and modules nobody lists', async () => {
    const dir = await makeAppDir({
      directive: minimalDirective(),
      files: { 'hello.wasm': wasm, 'README.md': '# app\n', 'lib.wasm': notRunnable, 'hello.gr.wasm': grain },
    });
    const app = await loadApp(dir, { cwd: dir });
    expect([...app.functions.keys()]).toEqual([HELLO]);
  });

  it('loadApp - returns the warnings of the Directive (unknown keys) without failing', async () => {
    const dir = await makeAppDir({ directive: minimalDirective({ extra: 'identifer: typo' }), files: { 'hello.wasm': wasm } });
    const app = await loadApp(dir, { cwd: dir });
    expect(app.warnings).toHaveLength(1);
    expect(app.warnings[0]?.severity).toBe('warning');
    expect(app.warnings[0]?.message).toContain("unknown key 'identifer'");
    expect(app.warnings[0]?.message).toContain("did you mean 'identifier'?");
  });
});

describe('loadApp - inferred runnables', () => {
  it('loadApp - infers runnables from the .wasm files when the Directive lists none', async () => {
    const dir = await makeAppDir({
      directive: minimalDirective({ functions: ['hello', 'world'], listRunnables: false, appVersion: 'v2.3.4' }),
      files: { 'hello.wasm': wasm, 'world/world.wasm': wasm },
    });
    const app = await loadApp(dir, { cwd: dir });
    expect([...app.functions.keys()].sort()).toEqual(['com.example.spec#default::hello@v2.3.4', 'com.example.spec#default::world@v2.3.4']);
    const runnables = app.directive.runnables.map((runnable) => ({ name: runnable.name, namespace: runnable.namespace, version: runnable.version }));
    expect(runnables).toEqual(
      expect.arrayContaining([
        { name: 'hello', namespace: 'default', version: 'v2.3.4' },
        { name: 'world', namespace: 'default', version: 'v2.3.4' },
      ]),
    );
  });

  it('loadApp - does not infer Grain *.gr.wasm files nor modules without run_e', async () => {
    const dir = await makeAppDir({
      directive: minimalDirective({ listRunnables: false }),
      files: { 'hello.wasm': wasm, 'hello.gr.wasm': grain, 'helper.wasm': notRunnable },
    });
    const app = await loadApp(dir, { cwd: dir });
    expect(app.directive.runnables.map((runnable) => runnable.name)).toEqual(['hello']);
    expect([...app.functions.keys()]).toEqual([HELLO]);
  });

  it('loadApp - reports no functions listed when nothing can be inferred', async () => {
    const dir = await makeAppDir({ directive: minimalDirective({ listRunnables: false }), files: { 'helper.wasm': notRunnable } });
    const error = await rejection(loadApp(dir, { cwd: dir }), 'E2RX_DIRECTIVE_INVALID');
    expect(error.message).toContain('no functions listed');
  });

  it('loadApp - a listed runnables list wins over the files', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm, 'extra.wasm': wasm } });
    const app = await loadApp(dir, { cwd: dir });
    expect([...app.functions.keys()]).toEqual([HELLO]);
  });
});

describe('loadApp - bundles', () => {
  it('loadApp - loads Directive.yaml, root modules and static/ entries from a bundle', async () => {
    const bundle = await makeBundle({
      'Directive.yaml': minimalDirective(),
      'hello.wasm': wasm,
      'static/index.html': '<h1>hi</h1>',
      'static/css/site.css': 'body{}',
    });
    const app = await loadApp(bundle.path, { cwd: bundle.dir });
    expect(app.kind).toBe('bundle');
    expect(app.path).toBe('runnables.wasm.zip');
    expect(app.directiveFile).toBe('runnables.wasm.zip/Directive.yaml');
    expect(app.functions.get(HELLO)?.file).toBe('runnables.wasm.zip/hello.wasm');
    expect(new TextDecoder().decode(await app.staticFiles.read('index.html'))).toBe('<h1>hi</h1>');
    expect(new TextDecoder().decode(await app.staticFiles.read('static/css/site.css'))).toBe('body{}');
    expect(await app.staticFiles.read('missing.txt')).toBeUndefined();
  });

  it('loadApp - loads a bundle of any file name when its path is given', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm }, 'my-app.zip');
    const app = await loadApp(bundle.path, { cwd: bundle.dir });
    expect(app.kind).toBe('bundle');
    expect(app.path).toBe('my-app.zip');
  });

  it('loadApp - ignores .wasm files in sub-folders of a bundle', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'nested/hello.wasm': wasm });
    const error = await rejection(loadApp(bundle.path, { cwd: bundle.dir }), 'E2RX_MODULE_MISSING');
    expect(error.message).toContain('hello.wasm at the root of runnables.wasm.zip');
  });

  it('loadApp - infers runnables from the root modules of a bundle', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective({ listRunnables: false }), 'hello.wasm': wasm, 'hello.gr.wasm': grain });
    const app = await loadApp(bundle.path, { cwd: bundle.dir });
    expect([...app.functions.keys()]).toEqual([HELLO]);
  });

  it('loadApp - loads runnables.wasm.zip from a directory that has no Directive', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm });
    const app = await loadApp(bundle.dir, { cwd: bundle.dir });
    expect(app.kind).toBe('bundle');
    expect([...app.functions.keys()]).toEqual([HELLO]);
  });
});

describe('loadApp - default path', () => {
  it('loadApp - defaults to ./runnables.wasm.zip when it exists', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm });
    // A Directive.yaml in cwd too: the bundle still wins, as Atmo's default path is the bundle.
    await writeFile(join(bundle.dir, 'Directive.yaml'), minimalDirective({ identifier: 'com.example.other' }));
    const app = await loadApp(undefined, { cwd: bundle.dir });
    expect(app.kind).toBe('bundle');
    expect(app.directive.identifier).toBe('com.example.spec');
  });

  it('loadApp - defaults to the current directory when there is no bundle', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    const app = await loadApp(undefined, { cwd: dir });
    expect(app.kind).toBe('directory');
    expect(app.path).toBe('.');
  });
});

describe('loadApp - errors name the file', () => {
  it('loadApp - a path that does not exist is E2RX_APP_NOT_FOUND', async () => {
    const dir = await makeTempDir();
    const error = await rejection(loadApp('no-such-app', { cwd: dir }), 'E2RX_APP_NOT_FOUND');
    expect(error.message).toBe('no-such-app does not exist');
    expect(error.hint).toContain('Directive.yaml');
  });

  it('loadApp - a directory without Directive nor bundle is E2RX_DIRECTIVE_NOT_FOUND', async () => {
    const dir = await makeAppDir({ files: { 'app/hello.wasm': wasm } });
    const error = await rejection(loadApp('app', { cwd: dir }), 'E2RX_DIRECTIVE_NOT_FOUND');
    expect(error.message).toBe('no Directive.yaml and no runnables.wasm.zip in app');
    expect(error.hint).toContain('e2rx init');
  });

  it('loadApp - a directory holding tenant.json is E2RX_DIRECTIVE_GENERATION', async () => {
    const dir = await makeAppDir({ files: { 'tenant.json': '{"identifier":"com.x","specVersion":1}' } });
    const error = await rejection(loadApp(dir, { cwd: dir }), 'E2RX_DIRECTIVE_GENERATION');
    expect(error.message).toContain('tenant.json is an E2 Core tenant config');
    expect(error.message).toContain('Atmo v0.4.x');
  });

  it('loadApp - the path of a tenant.json is E2RX_DIRECTIVE_GENERATION', async () => {
    const dir = await makeAppDir({ files: { 'tenant.json': '{}' } });
    const error = await rejection(loadApp('tenant.json', { cwd: dir }), 'E2RX_DIRECTIVE_GENERATION');
    expect(error.message.startsWith('tenant.json ')).toBe(true);
  });

  it('loadApp - a bundle holding tenant.json and no Directive is E2RX_DIRECTIVE_GENERATION', async () => {
    const bundle = await makeBundle({ 'tenant.json': '{}', 'hello.wasm': wasm }, 'modules.wasm.zip');
    const error = await rejection(loadApp(bundle.path, { cwd: bundle.dir }), 'E2RX_DIRECTIVE_GENERATION');
    expect(error.message).toContain('modules.wasm.zip/tenant.json');
  });

  it('loadApp - a file that is not a zip is E2RX_BUNDLE_CORRUPT', async () => {
    const dir = await makeAppDir({ files: { 'runnables.wasm.zip': 'not a zip at all' } });
    const error = await rejection(loadApp('runnables.wasm.zip', { cwd: dir }), 'E2RX_BUNDLE_CORRUPT');
    expect(error.message).toBe('runnables.wasm.zip is not a readable zip archive: it is too short to hold an end of central directory record');
  });

  it('loadApp - a truncated zip is E2RX_BUNDLE_CORRUPT', async () => {
    const bytes = zipBytes({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm });
    const dir = await makeAppDir({ files: { 'runnables.wasm.zip': bytes.slice(0, bytes.length - 30) } });
    await rejection(loadApp(undefined, { cwd: dir }), 'E2RX_BUNDLE_CORRUPT');
  });

  it('loadApp - a Directive file larger than a Directive may be is refused before it is read', async () => {
    const dir = await makeAppDir({ directive: `identifier: ${'a'.repeat(5 * 1024 * 1024)}\n`, files: { 'hello.wasm': wasm } });
    const error = await rejection(loadApp(dir, { cwd: dir }), 'E2RX_DIRECTIVE_INVALID');
    expect(error.message).toBe(
      'found 1 problems:\n\tDirective.yaml:1:1: the Directive is 5242893 bytes long, more than a Directive may have (1048576 characters; is this the right file?)',
    );
    expect((error.details['problems'] as Problem[])[0]).toMatchObject({ file: 'Directive.yaml', line: 1, column: 1 });
  });

  it('loadApp - a bundle with two Directive.yaml entries is E2RX_BUNDLE_DUPLICATE_ENTRY', async () => {
    const dir = await makeAppDir({
      files: {
        'runnables.wasm.zip': writeZip([
          { name: 'Directive.yaml', data: new TextEncoder().encode(minimalDirective()) },
          { name: 'hello.wasm', data: wasm },
          { name: 'Directive.yaml', data: new TextEncoder().encode(minimalDirective({ identifier: 'com.example.evil' })) },
        ]),
      },
    });
    const error = await rejection(loadApp(undefined, { cwd: dir }), 'E2RX_BUNDLE_DUPLICATE_ENTRY');
    expect(error.message).toBe('runnables.wasm.zip holds 2 entries named Directive.yaml: a bundle has each entry once');
  });

  it('loadApp - a bundle whose static entry inflates to 1 GiB is E2RX_BUNDLE_TOO_LARGE, not a valid app', async () => {
    const dir = await makeAppDir({
      files: {
        'runnables.wasm.zip': writeZip([
          { name: 'Directive.yaml', data: new TextEncoder().encode(minimalDirective()) },
          { name: 'hello.wasm', data: wasm },
          { name: 'static/big.bin', ...zeroBomb(1024 * 1024 * 1024) },
        ]),
      },
    });
    const error = await rejection(loadApp(undefined, { cwd: dir }), 'E2RX_BUNDLE_TOO_LARGE');
    expect(error.message).toMatch(/^runnables\.wasm\.zip\/static\/big\.bin declares 1073741824 bytes, more than the 67108864/);
  });

  it('loadApp - takes bundleLimits', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm, 'static/a.txt': 'a'.repeat(2_000) });
    const error = await rejection(loadApp(bundle.path, { cwd: bundle.dir, bundleLimits: { maxEntryBytes: 1_000, maxTotalBytes: 1_000_000 } }), 'E2RX_BUNDLE_TOO_LARGE');
    expect(error.message).toBe('runnables.wasm.zip/static/a.txt declares 2000 bytes, more than the 1000 a bundle entry may have (maxEntryBytes)');
    const app = await loadApp(bundle.path, { cwd: bundle.dir, bundleLimits: { maxEntryBytes: 2_000, maxTotalBytes: 1_000_000 } });
    expect((await app.staticFiles.read('a.txt'))?.length).toBe(2_000);
  });

  it('loadApp - a bundle without Directive.yaml at its root is E2RX_DIRECTIVE_NOT_FOUND', async () => {
    const bundle = await makeBundle({ 'app/Directive.yaml': minimalDirective(), 'hello.wasm': wasm });
    const error = await rejection(loadApp(bundle.path, { cwd: bundle.dir }), 'E2RX_DIRECTIVE_NOT_FOUND');
    expect(error.message).toBe('bundle is missing Directive.yaml: runnables.wasm.zip');
  });

  it('loadApp - a listed runnable without module is E2RX_MODULE_MISSING', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: {} });
    const error = await rejection(loadApp(dir, { cwd: dir }), 'E2RX_MODULE_MISSING');
    expect(error.message).toBe(`function ${HELLO} has no module: expected hello.wasm or hello/hello.wasm in .`);
    expect(error.details['function']).toBe(HELLO);
  });

  it('loadApp - a .wasm file that is not WebAssembly is E2RX_MODULE_INVALID', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': NOT_WASM } });
    const error = await rejection(loadApp(dir, { cwd: dir }), 'E2RX_MODULE_INVALID');
    expect(error.message).toMatch(/^hello\.wasm is not a WebAssembly module/);
  });

  it('loadApp - a .wasm file with the magic number but a broken body is E2RX_MODULE_INVALID', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': TRUNCATED_WASM });
    const error = await rejection(loadApp(bundle.path, { cwd: bundle.dir }), 'E2RX_MODULE_INVALID');
    expect(error.message).toMatch(/^runnables\.wasm\.zip\/hello\.wasm is not a valid WebAssembly module: /);
  });

  it('loadApp - a listed module that is not a Runnable is E2RX_MODULE_NOT_RUNNABLE', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': notRunnable } });
    const error = await rejection(loadApp(dir, { cwd: dir }), 'E2RX_MODULE_NOT_RUNNABLE');
    expect(error.message).toBe('hello.wasm is not a Runnable: it does not export run_e');
    expect(error.details).toMatchObject({ function: HELLO, file: 'hello.wasm' });
  });

  it('loadApp - an invalid Directive is E2RX_DIRECTIVE_INVALID with every problem in details.problems', async () => {
    const directive = ['appVersion: one', 'atmoVersion: v0.4.7', 'runnables:', '  - name: hello', '    namespace: default', 'handlers:', '  - type: request', '    resource: hello', '    steps:', '      - fn: nope', ''].join('\n');
    const dir = await makeAppDir({ directive, files: { 'hello.wasm': wasm } });
    const error = await rejection(loadApp(dir, { cwd: dir }), 'E2RX_DIRECTIVE_INVALID');
    const problems = error.details['problems'] as Problem[];
    const messages = problems.map((problem) => problem.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'identifier is missing',
        'app version is not a valid semantic version',
        "handler resource must begin with leading slash '/': hello",
        "handler for resource hello has type 'request', but does not specify a method",
      ]),
    );
    expect(messages.some((message) => message.includes('lists fn at step 0 that does not exist: nope'))).toBe(true);
    expect(problems.every((problem) => problem.file === 'Directive.yaml' && problem.line >= 1)).toBe(true);
    expect(error.message).toMatch(/^found \d+ problems:\n\tDirective\.yaml:\d+:\d+: /);
  });

  it('loadApp - a YAML syntax error is E2RX_DIRECTIVE_INVALID located in the file', async () => {
    const dir = await makeAppDir({ directive: 'identifier: [unclosed\n', files: { 'hello.wasm': wasm } });
    const error = await rejection(loadApp(dir, { cwd: dir }), 'E2RX_DIRECTIVE_INVALID');
    const problems = error.details['problems'] as Problem[];
    expect(problems[0]?.message).toMatch(/^invalid YAML: /);
    expect(problems[0]?.file).toBe('Directive.yaml');
  });

  it('loadApp - problems of a bundled Directive name the bundle', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective({ appVersion: 'one' }), 'hello.wasm': wasm });
    const error = await rejection(loadApp(bundle.path, { cwd: bundle.dir }), 'E2RX_DIRECTIVE_INVALID');
    expect(error.message).toContain('runnables.wasm.zip/Directive.yaml:2:');
  });
});
