/**
 * The file capability end to end: a Wasm function (specs/fixtures/functions/file-probe) reads the app's `static/`
 * folder through `get_static_file`, served by the engine: names normalised as Atmo did, missing files, traversal
 * refused before anything is read, and the capability disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'file-probe';
const FILES = {
  'static/hello.txt': 'hello from static\n',
  'static/nested/page.html': '<p>nested</p>',
  'outside.txt': 'not a static file',
};

const apps: StartedApp[] = [];

beforeAll(async () => {
  await builtFunctions();
});

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
});

describe('file capability', () => {
  let app: StartedApp;
  beforeAll(async () => {
    app = await startApp({ functions: [FN], files: FILES });
    apps.push(app);
  });

  it('get_static_file - returns the bytes of a file of static/, by any of its Atmo names', async () => {
    for (const name of ['hello.txt', '/hello.txt', './hello.txt', 'static/hello.txt']) {
      expect(await app.call(FN, name), name).toMatchObject({ status: 200, text: 'hello from static\n' });
    }
    expect(await app.call(FN, 'nested/page.html')).toMatchObject({ status: 200, text: '<p>nested</p>' });
  });

  it('get_static_file - a missing file is "file does not exist"', async () => {
    expect(await app.call(FN, 'nope.txt')).toMatchObject({ status: 500, message: 'file does not exist' });
  });

  it('get_static_file - only one `/` and one `./` are stripped: a name with a `.` segment left names no file, as in Atmo', async () => {
    for (const name of ['././hello.txt', 'nested/./page.html', '/./hello.txt/.', 'nested']) {
      expect(await app.call(FN, name), name).toMatchObject({ status: 500, message: 'file does not exist' });
    }
    expect(await app.call(FN, '/./hello.txt')).toMatchObject({ status: 200, text: 'hello from static\n' });
  });

  it('get_static_file - traversal out of static/ is refused and logged', async () => {
    for (const name of ['../outside.txt', 'nested/../../outside.txt', '..\\outside.txt', '//etc/passwd', '../Directive.yaml']) {
      const reply = await app.call(FN, name);
      expect(reply, name).toMatchObject({ status: 500, message: 'invalid static file name: path traversal is not allowed' });
      expect(reply.text).not.toContain('not a static file');
    }
    expect(app.logs.filter((line) => line.level === 40 && line.msg === 'static file name refused').map((line) => line['file'])).toContain('../Directive.yaml');
  });

  it('file disabled - get_static_file is "capability is not enabled"', async () => {
    const disabled = await startApp({ functions: [FN], files: FILES, capabilities: 'file:\n  enabled: false' });
    apps.push(disabled);
    expect(await disabled.call(FN, 'hello.txt')).toMatchObject({ status: 500, message: 'capability is not enabled' });
  });
});
